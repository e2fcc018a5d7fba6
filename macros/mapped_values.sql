{#-
    How a mapped field's value is read and typed. Engine-specific SQL sits in dispatched
    macros (default__ is DuckDB's): a port to another adapter adds its own versions.
-#}

{% macro sql_literal(value) -%}
    {#- A constant as a typed-later text literal (staging parses it like any raw value). -#}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        '{{ value | string | lower }}'
    {%- else -%}
        {{ string_literal(value | string) }}
    {%- endif -%}
{%- endmacro %}

{% macro string_literal(value) -%}
    {{ return(adapter.dispatch('string_literal')(value)) }}
{%- endmacro %}

{% macro default__string_literal(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{% macro quoted_column(name) -%}
    {#- A column name of the user's, quoted (embedded quotes doubled). -#}
    "{{ name | replace('"', '""') }}"
{%- endmacro %}

{% macro field_value(entity, field, available_columns=none) -%}
    {#-
        The raw value of one field of a mapped row, before typing: the column (through the
        value map and default), the sum of several columns, a constant, or null. A derived
        field is null here; the entity's rows macro derives it.
    -#}
    {%- set spec = field_spec(entity, field, available_columns) -%}
    {{ source_value(spec) }}
{%- endmacro %}

{% macro source_value(spec) -%}
    {%- if spec['kind'] == 'column' -%}
        {#- lowercase: text compared without case, e.g. email addresses as ids. -#}
        {%- set column = 'lower(cast(' ~ quoted_column(spec['column']) ~ ' as string))'
            if spec.get('lowercase') else quoted_column(spec['column']) -%}
        {%- set value = column -%}
        {%- if spec.get('values') or 'other' in spec -%}
            {%- set value -%}
                case
                    when {{ column }} is null then null
                    {%- for pair in spec.get('values', []) %}
                    when trim(cast({{ column }} as string)) = {{ string_literal(pair[0]) }}
                        then {{ sql_literal(pair[1]) }}
                    {%- endfor %}
                    else {{ sql_literal(spec['other']) if 'other' in spec else 'cast(' ~ column ~ ' as string)' }}
                end
            {%- endset -%}
        {%- endif -%}
        {%- if spec.get('default') is not none -%}
            coalesce(cast({{ value }} as string), {{ sql_literal(spec['default']) }})
        {%- else -%}
            {{ value }}
        {%- endif -%}
    {%- elif spec['kind'] == 'sum' -%}
        {#- Text, so that a part that does not parse makes the whole unparseable (quarantined)
            instead of counting as 0. -#}
        case
            {%- for column in spec['columns'] %}
            when {{ is_unparseable(quoted_column(column), 'number', spec) }} then 'not a number'
            {%- endfor %}
            when {% for column in spec['columns'] %}{{ quoted_column(column) }} is null{{ ' and ' if not loop.last }}{% endfor %}
                then null
            else cast(
                {%- for column in spec['columns'] %}
                coalesce({{ parse_value(quoted_column(column), 'number', spec) }}, 0){{ ' +' if not loop.last }}
                {%- endfor %}
                as string
            )
        end
    {%- elif spec['kind'] == 'constant' -%}
        {{ sql_literal(spec['value']) }}
    {%- else -%}
        null
    {%- endif -%}
{%- endmacro %}

{% macro naive_to_utc(expression) -%}
    {#- A timestamp without a zone, read in var('source_time_zone'), as UTC. -#}
    {%- set zone = setting('source_time_zone') -%}
    {%- if zone == 'UTC' -%}
        {{ expression }}
    {%- else -%}
        cast(timezone({{ string_literal(zone) }}, {{ expression }}) as timestamp)
    {%- endif -%}
{%- endmacro %}

{% macro parse_value(expression, type, spec={}) -%}
    {#-
        A raw value typed as the field's type; null when it does not parse. `spec` carries the
        field's text format (strptime) and decimal comma, if any.
    -#}
    {{ return(adapter.dispatch('parse_value')(expression, type, spec)) }}
{%- endmacro %}

{% macro default__parse_value(expression, type, spec) -%}
    {%- set text = 'nullif(trim(cast(' ~ expression ~ ' as string)), \'\')' -%}
    {%- if type == 'key' -%}
        {{ mapped_key(expression) }}
    {%- elif type == 'text' -%}
        {{ clean_text(expression) }}
    {%- elif type in ('timestamp', 'date') and spec.get('format') -%}
        {%- if type == 'timestamp' -%}
            {#- A format with %z gives a zoned time: as UTC, like the session. Without one, a
                time of day is in var('source_time_zone'). -#}
            {%- set value = 'cast(try_strptime(' ~ text ~ ', ' ~ string_literal(spec['format'])
                ~ ') as timestamp)' -%}
            {%- if '%z' in spec['format'] or '%Z' in spec['format']
                or not modules.re.search('%[HIMSXcTRfp]', spec['format']) -%}
            {{ value }}
            {%- else -%}
            {{ naive_to_utc(value) }}
            {%- endif -%}
        {%- else -%}
            cast(try_strptime({{ text }}, {{ string_literal(spec['format']) }}) as date)
        {%- endif -%}
    {%- elif type == 'timestamp' -%}
        {#- Text with a UTC offset ('2024-03-05 23:30:00-05:00', '... +0100') is converted to
            UTC; DuckDB's plain cast would drop the offset and keep the local clock time. -#}
        {%- if setting('source_time_zone') == 'UTC' %}
        case
            when typeof({{ expression }}) like 'TIMESTAMP%' or typeof({{ expression }}) = 'DATE'
                then try_cast({{ expression }} as timestamp)
            else cast(try_cast(regexp_replace(
                {{ text }}, '\s*([+-][0-9]{2}):?([0-9]{2})$', '\1:\2'
            ) as timestamptz) as timestamp)
        end
        {%- else %}
        {#- Times without a zone are in var('source_time_zone'); dates without a time, and
            times that carry their zone (typed, or an offset in the text), are not moved. -#}
        case
            when typeof({{ expression }}) = 'TIMESTAMP WITH TIME ZONE' or typeof({{ expression }}) = 'DATE'
                then try_cast({{ expression }} as timestamp)
            when typeof({{ expression }}) like 'TIMESTAMP%'
                then {{ naive_to_utc('try_cast(' ~ expression ~ ' as timestamp)') }}
            when regexp_matches({{ text }}, '[+-][0-9]{2}:?[0-9]{2}$|Z$')
                then cast(try_cast(regexp_replace(
                    {{ text }}, '\s*([+-][0-9]{2}):?([0-9]{2})$', '\1:\2'
                ) as timestamptz) as timestamp)
            when regexp_full_match({{ text }}, '[0-9]{4}-[0-9]{2}-[0-9]{2}')
                then try_cast({{ text }} as timestamp)
            else {{ naive_to_utc('try_cast(' ~ text ~ ' as timestamp)') }}
        end
        {%- endif %}
    {%- elif type == 'integer' -%}
        {#- Whole numbers only: DuckDB's try_cast rounds '1.5' to 2, which would keep a row
            another engine (or a reader) sees as wrong. -#}
        {%- set digits = ungrouped(without_currency(text, spec), spec) -%}
        case
            when {{ integer_typed(expression) }} then try_cast({{ expression }} as integer)
            when regexp_full_match(
                {{ digits }}, '[+-]?[0-9]{1,9}({{ ',' if spec.get('decimal_comma') else '\\.' }}0*)?'
            )
                then cast(regexp_extract({{ digits }}, '^[+-]?[0-9]+') as integer)
        end
    {%- elif type in ('decimal', 'number') -%}
        {%- set target_type = {'decimal': 'decimal(18, 2)', 'number': 'double'}[type] -%}
        {%- set number = ungrouped(without_currency(text, spec), spec) -%}
        {%- if spec.get('decimal_comma') -%}
            try_cast(replace({{ number }}, ',', '.') as {{ target_type }})
        {%- elif spec.get('thousands') or spec.get('currency') -%}
            try_cast({{ number }} as {{ target_type }})
        {%- else -%}
            try_cast({{ expression }} as {{ target_type }})
        {%- endif -%}
    {%- else -%}
        try_cast({{ expression }} as {{ type }})
    {%- endif -%}
{%- endmacro %}

{% macro without_currency(text, spec) -%}
    {#- A number's text without the currency symbol or code written with it (spec
        'currency': '€12.50', '12,50 EUR'); any other symbol is left to fail the parse. -#}
    {%- if spec.get('currency') -%}
        nullif(trim(replace({{ text }}, {{ string_literal(spec['currency']) }}, '')), '')
    {%- else -%}
        {{ text }}
    {%- endif -%}
{%- endmacro %}

{% macro ungrouped(text, spec) -%}
    {#- A number's text without its thousands separator (spec 'thousands'), when its digits
        are grouped in threes ('1.234.567,5'); any other text is left to fail the parse. -#}
    {%- set separator = spec.get('thousands') -%}
    {%- if separator -%}
        {%- set decimal = ',' if spec.get('decimal_comma') else '\\.' -%}
        case
            when regexp_full_match(
                {{ text }},
                {{ string_literal('[+-]?[0-9]{1,3}([' ~ separator ~ '][0-9]{3})+(' ~ decimal ~ '[0-9]*)?') }}
            )
                then replace({{ text }}, {{ string_literal(separator) }}, '')
            else {{ text }}
        end
    {%- else -%}
        {{ text }}
    {%- endif -%}
{%- endmacro %}

{% macro is_unparseable(expression, type, spec={}) -%}
    {#- A value is there but does not parse as its type. -#}
    ({{ expression }} is not null and {{ parse_value(expression, type, spec) }} is null)
{%- endmacro %}

{% macro parsed(entity, field, type) -%}
    {#- A field of the entity's mapped rows (a column named after the field) typed. -#}
    {{ parse_value(field, type, field_spec(entity, field)) }}
{%- endmacro %}

{% macro unparseable_fields(entity, types) -%}
    {#- The fields of `types` (field -> type) that hold a value not of their type. -#}
    (
        false
        {%- for field, type in types.items() %}
        or {{ is_unparseable(field, type, field_spec(entity, field)) }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro unparseable_detail(entity, types) -%}
    {#- Which field does not parse, for the quarantine's detail. -#}
    case
        {%- for field, type in types.items() %}
        when {{ is_unparseable(field, type, field_spec(entity, field)) }}
            then '{{ field }} does not parse as {{ type }}
            {%- if field_spec(entity, field).get('format') %} ({{ field_spec(entity, field)['format'] | replace("'", "''") }}){% endif %}'
        {%- endfor %}
    end
{%- endmacro %}

{% macro extra_unparseable_detail(extra) -%}
    {#- Which attribute, behaviour or spend column of customer_extra_columns() does not parse. -#}
    case
        {%- for raw_name, typed in extra.items() %}
        when {{ is_unparseable(raw_name, typed[1], typed[2]) }}
            then '{{ raw_name | replace('__', ' ') }} does not parse as {{ typed[1] }}'
        {%- endfor %}
        when false then null
    end
{%- endmacro %}

{% macro key_text(expression) -%}
    {{ return(adapter.dispatch('key_text')(expression)) }}
{%- endmacro %}

{% macro integer_typed(expression) -%}
    {#- The value's column is of an integer type: known when the query is planned, so DuckDB
        folds the test away and the text checks below cost nothing on integer columns. -#}
    typeof({{ expression }}) in (
        'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER'
    )
{%- endmacro %}

{% macro integer_key_text(expression) -%}
    {#- A text id that is a whole number within bigint ('123', '123.0'), as its digits; else
        null. Integer-typed ids and such texts get the same key and the same text. -#}
    case
        when regexp_full_match(
            nullif(trim(cast({{ expression }} as string)), ''), '-?(0|[1-9][0-9]{0,18})(\.0+)?'
        )
            and try_cast(split_part(trim(cast({{ expression }} as string)), '.', 1) as bigint)
            is not null
            then split_part(trim(cast({{ expression }} as string)), '.', 1)
    end
{%- endmacro %}

{% macro default__key_text(expression) -%}
    {#- A key's canonical text: an integer without its .0, else the trimmed text. -#}
    case
        when {{ integer_typed(expression) }} then cast({{ expression }} as string)
        when {{ integer_key_text(expression) }} is not null
            then {{ integer_key_text(expression) }}
        else nullif(trim(cast({{ expression }} as string)), '')
    end
{%- endmacro %}

{% macro mapped_key(expression) -%}
    {{ return(adapter.dispatch('mapped_key')(expression)) }}
{%- endmacro %}

{% macro default__mapped_key(expression) -%}
    {#-
        An id as the warehouse's bigint key: an integer id as itself (123, '123', 123.0), any
        other text as a stable negative number from its MD5 (62 bits: collisions are
        negligible, and a collision would only make two rows a duplicate_key). Null or blank:
        null. Deterministic across builds and DuckDB versions, unlike hash().
    -#}
    case
        when {{ integer_typed(expression) }} then cast({{ expression }} as bigint)
        when {{ integer_key_text(expression) }} is not null
            then cast({{ integer_key_text(expression) }} as bigint)
        when nullif(trim(cast({{ expression }} as string)), '') is not null
            then -1 - cast(
                md5_number_lower(trim(cast({{ expression }} as string))) >> 2 as bigint
            )
    end
{%- endmacro %}

{% macro row_struct(fields) -%}
    {{ return(adapter.dispatch('row_struct')(fields)) }}
{%- endmacro %}

{% macro default__row_struct(fields) -%}
    {#- One struct value of (name, SQL expression) pairs, e.g. a row's copy for the quarantine. -#}
    struct_pack(
        {%- for pair in fields %}
        {{ quoted_column(pair[0]) }} := {{ pair[1] }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
