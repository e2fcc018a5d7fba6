{% macro clean_text(column_name) -%}
    {#- Text without surrounding spaces, tabs or line breaks; an empty or blank string becomes null. -#}
    nullif(trim(cast({{ column_name }} as varchar), e' \t\r\n'), '')
{%- endmacro %}

{% macro has_unparseable_value(casts) -%}
    {#-
        True when any raw column of `casts` (a mapping column -> SQL type) holds a value that
        does not cast to its type: the raw value is not null but try_cast gives null.
    -#}
    (
        false
        {%- for column_name, data_type in casts.items() %}
        or ({{ column_name }} is not null and try_cast({{ column_name }} as {{ data_type }}) is null)
        {%- endfor %}
    )
{%- endmacro %}

{% macro duplicate_key_counts(key_columns, row_relation='source') -%}
    {#-
        Window counts that is_duplicate_key() reads: rows sharing the key, rows identical to
        this one (every raw column), and this row's position among its identical copies.
    -#}
    count(*) over (partition by {{ key_columns | join(', ') }}) as key_row_count,
    count(*) over (partition by {{ row_relation }}) as copy_row_count,
    row_number() over (partition by {{ row_relation }}) as copy_number
{%- endmacro %}

{% macro is_duplicate_key() -%}
    {#-
        A row whose key occurs more than once, except the first of a set of identical copies:
        exact copies keep one row; conflicting rows under one key are all quarantined, since
        nothing says which one is right.
    -#}
    (key_row_count > 1 and not (copy_row_count = key_row_count and copy_number = 1))
{%- endmacro %}

{% macro quarantine_extract_date() -%}
    {#- Last valid date of any event: var('quarantine_extract_date'), else today. -#}
    {%- if var('quarantine_extract_date') -%}
        cast('{{ var("quarantine_extract_date") }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{% macro is_outside_event_dates(column_name) -%}
    {#- Before var('quarantine_earliest_date'): an absurd event date (the future is checked apart). -#}
    (cast({{ column_name }} as date) < cast('{{ var("quarantine_earliest_date") }}' as date))
{%- endmacro %}

{% macro is_future(column_name) -%}
    {#- After the extract date (quarantine_extract_date()). -#}
    (cast({{ column_name }} as date) > {{ quarantine_extract_date() }})
{%- endmacro %}
