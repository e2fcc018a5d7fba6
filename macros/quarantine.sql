{% macro clean_text(column_name) -%}
    {#- Text without surrounding spaces, tabs or line breaks; an empty or blank string becomes null. -#}
    {{ return(adapter.dispatch('clean_text')(column_name)) }}
{%- endmacro %}

{% macro default__clean_text(column_name) -%}
    {#- trim() with a set of characters costs about three times this look at the first and last
        character (code points: ascii() of a string is its first one's), and few values need
        trimming. A value starting or ending with any character up to a space is trimmed as
        before, so the result is the same. -#}
    {%- set text = 'cast(' ~ column_name ~ ' as string)' -%}
    nullif(
        case
            when ascii({{ text }}) <= 32 or ascii(right({{ text }}, 1)) <= 32
                then trim({{ text }}, e' \t\r\n')
            else {{ text }}
        end,
        ''
    )
{%- endmacro %}

{% macro with_copy_counts(relation, key_column) -%}
    {#-
        Every row of `relation` (which has the parsed key `key_column` and raw_struct, the
        whole raw row) with the counts is_duplicate_key() reads: key_row_count, the raw rows
        sharing the key (null keys count together); copy_row_count, the rows identical to this
        one; and copy_number, its position among them. The keys that repeat are counted apart
        and joined back, and the whole-row comparison runs only on their rows: a window over
        every row kept all of them, raw rows included, in memory or spilled (100M order lines
        filled the disk), and comparing every raw row with every other was most of a build's
        time.
    -#}
    with

    keyed as (
        select
            {{ relation }}.*,
            coalesce(repeated_keys.key_row_count, 1) as key_row_count
        from {{ relation }}
        left join (
            select
                {{ key_column }},
                count(*) as key_row_count
            from {{ relation }}
            group by {{ key_column }}
            having count(*) > 1
        ) as repeated_keys
            on {{ relation }}.{{ key_column }} is not distinct from repeated_keys.{{ key_column }}
    )

    select
        *,
        1 as copy_row_count,
        1 as copy_number
    from keyed
    where key_row_count = 1
    union all
    select
        *,
        count(*) over (partition by {{ copy_text('raw_struct') }}) as copy_row_count,
        row_number() over (
            partition by {{ copy_text('raw_struct') }} order by cast(raw_struct as varchar)
        ) as copy_number
    from keyed
    where key_row_count > 1
{%- endmacro %}

{% macro copy_text(raw_struct) -%}
    {#- The raw row as text for comparing copies, without letter case and the whitespace
        around values: rows that differ only so (an export's 'Germany ' and 'germany') are
        copies of one row, not a conflict; the first in text order is kept. -#}
    regexp_replace(
        lower(cast({{ raw_struct }} as varchar)), '[\s'']*([,:{}])[\s'']*', '\1', 'g'
    )
{%- endmacro %}

{% macro attribute_issue(field, rules) -%}
    {#- Why an attribute `field` is nulled: the detail of the first of `rules` ((field,
        condition, detail) triples) of that field whose condition holds, else null. -#}
    case
        {%- for rule in rules if rule[0] == field %}
        when {{ rule[1] }} then {{ rule[2] }}
        {%- endfor %}
    end
{%- endmacro %}

{% macro quarantined_raw_row(raw_struct='raw_struct') -%}
    {#-
        The raw row as JSON for the quarantine, built only for quarantined rows: kept rows are
        in staging already, and writing JSON for each of them cost more than the rest of the
        classification.
    -#}
    case when quarantine_reason is not null then to_json({{ raw_struct }}) end
{%- endmacro %}

{% macro key_group(key_expression) -%}
    {#-
        The rows whose verdicts depend on one another (copies and conflicts under one key)
        share a group: the parsed key, with null and unparseable keys together in the group of
        the smallest bigint (a real key of that value would merely share their group, which
        only costs a recheck). Incremental classified models reclassify whole groups. Not
        hash(): DuckDB does not promise it stays the same across versions, and delete+insert
        needs the stored groups to match those computed by later builds.
    -#}
    coalesce({{ key_expression }}, -9223372036854775808)
{%- endmacro %}

{% macro row_hash(relation, entities) -%}
    {#-
        Hash of a raw row (the whole struct of `relation`) and of how the mapping reads the
        `entities`: a change of format or value map reclassifies every stored row, since the
        same raw text may now parse differently.
    -#}
    {%- set mapping = [] -%}
    {%- for entity in entities -%}{%- do mapping.append(entity_spec(entity) or {}) -%}{%- endfor -%}
    hash({{ relation }}, {{ string_literal(tojson(mapping)) }})
{%- endmacro %}

{% macro raw_rows_to_classify(source_relation, key_expression, groups_to_recheck, entities) -%}
    {#-
        The raw rows an incremental classified model classifies. A full build: all of them.
        An incremental one: every row of each key group whose raw rows differ from the stored
        ones (row count or sum of row hashes: new rows, new copies of old keys, edited rows) or
        that `groups_to_recheck` lists (a relation with key_group: stored rows whose verdict may
        change with other tables or the date). Classifying whole groups gives each row the
        verdict a full build would. The model stores row_hash (macro row_hash over the same
        `entities`, whose mapping it read) for this.
    -#}
    {%- if is_incremental() %}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
    {%- if 'key_group' not in stored_columns or 'row_hash' not in stored_columns %}
        {{ exceptions.raise_compiler_error(
            this ~ " was built before incremental classification (it lacks key_group or"
            ~ " row_hash): rebuild it once with make build-source SOURCE=<your mapping file>"
            ~ " DBT_ARGS='--full-refresh --select " ~ model.name ~ "+' (the demo's mapping is"
            ~ " sources/demo.yml), or dbt build --full-refresh --select " ~ model.name ~ "+"
        ) }}
    {%- endif %}
    select {{ source_relation }}.*
    from {{ source_relation }}
    where {{ key_group(key_expression) }} in (
        select raw_groups.key_group
        from (
            select
                {{ key_group(key_expression) }} as key_group,
                count(*) as row_count,
                sum({{ row_hash(source_relation, entities) }}) as row_hash_sum
            from {{ source_relation }}
            group by 1
        ) as raw_groups
        left join (
            select
                key_group,
                count(*) as row_count,
                sum(row_hash) as row_hash_sum
            from {{ this }}
            group by 1
        ) as stored_groups on raw_groups.key_group = stored_groups.key_group
        where
            stored_groups.key_group is null
            or raw_groups.row_count != stored_groups.row_count
            or raw_groups.row_hash_sum != stored_groups.row_hash_sum
        union
        select key_group from {{ groups_to_recheck }}
    )
    {%- else %}
    select * from {{ source_relation }}
    {%- endif %}
{%- endmacro %}

{% macro delete_vanished_key_groups(entity, key_expression) -%}
    {#-
        A post-hook of an incremental classified model: delete the stored key groups of which
        no raw row is left (an order deleted at the source). raw_rows_to_classify finds only
        groups that still have raw rows, and delete+insert replaces only those, so without this
        a vanished id would stay in staging and the raw rows would no longer reconcile.
    -#}
    {%- if is_incremental() %}
    delete from {{ this }}
    where key_group not in (
        select {{ key_group(key_expression) }}
        from ({{ mapped_rows(entity, mapped_fields(entity)) }}) as source
    )
    {%- endif %}
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
    {%- if setting('quarantine_extract_date') -%}
        {{ date_literal(setting('quarantine_extract_date')) }}
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{% macro is_outside_event_dates(column_name) -%}
    {#- Before var('quarantine_earliest_date'): an absurd event date (the future is checked apart). -#}
    (cast({{ column_name }} as date) < {{ date_literal(setting('quarantine_earliest_date')) }})
{%- endmacro %}

{% macro is_future(column_name) -%}
    {#- After the extract date (quarantine_extract_date()). -#}
    (cast({{ column_name }} as date) > {{ quarantine_extract_date() }})
{%- endmacro %}

{% macro classify_rows(relation, rules) -%}
    {#-
        Every row of `relation` with quarantine_reason and quarantine_detail: those of the
        first of `rules` (reason, condition, detail) whose condition holds, or null for a kept
        row. `detail` is SQL (usually a quoted text). The rule's number is computed once, so
        each condition is evaluated once per row.
    -#}
    select
        numbered.*,
        case numbered.quarantine_rule_number
            {%- for rule in rules %}
            when {{ loop.index }} then '{{ rule[0] }}'
            {%- endfor %}
        end as quarantine_reason,
        case numbered.quarantine_rule_number
            {%- for rule in rules %}
            when {{ loop.index }} then {{ rule[2] }}
            {%- endfor %}
        end as quarantine_detail
    from (
        select
            *,
            case
                {%- for rule in rules %}
                when {{ rule[1] }} then {{ loop.index }}
                {%- endfor %}
            end as quarantine_rule_number
        from {{ relation }}
    ) as numbered
{%- endmacro %}

{% macro duplicate_detail(key) -%}
    {#- Why is_duplicate_key(): a later exact copy, or a conflicting row under one key. -#}
    case
        when copy_row_count = key_row_count
            then 'a copy of another row (letter case and surrounding spaces aside)'
        else '{{ key }} repeats with different values'
    end
{%- endmacro %}

{% macro not_one_of(column_name, values) -%}
    {#- The value is there and not one of `values`. -#}
    {{ column_name }} not in ({% for value in values %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro not_one_of_detail(column_name, values) -%}
    {#- Names the value, so that a missing entry of the mapping's value map shows. -#}
    {{ string_literal(column_name ~ ' "') }} || {{ column_name }}
    || {{ string_literal('" is not one of ' ~ values | join(', ')) }}
{%- endmacro %}

{% macro before_earliest_detail(column_name) -%}
    {{ string_literal(column_name ~ ' before quarantine_earliest_date '
        ~ setting('quarantine_earliest_date')) }}
{%- endmacro %}

{% macro future_detail(column_name) -%}
    {{ string_literal(column_name ~ ' after the extract date ') }}
    || cast({{ quarantine_extract_date() }} as string)
{%- endmacro %}

{% macro missing_value_rules(entity, fields) -%}
    {#- A missing_value rule for each of `fields` the mapping reads from the source's data
        (an unmapped field is null or a default by design, not missing). -#}
    {%- set rules = [] -%}
    {%- for field in fields if is_mapped(entity, field) -%}
        {%- do rules.append(('missing_value', field ~ ' is null', "'" ~ field ~ " is missing'")) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{% macro negative_value_rules(columns) -%}
    {#- An invalid_value rule for each of `columns` (counts and amounts) below 0. -#}
    {%- set rules = [] -%}
    {%- for column in columns -%}
        {%- do rules.append(('invalid_value', column ~ ' < 0', "'" ~ column ~ " is negative'")) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{% macro count_within_total_rules(columns, total_column) -%}
    {#- An inconsistent rule for each count among `columns` (of a customer snapshot's
        behaviour) above `total_column`, when both are there. -#}
    {%- set rules = [] -%}
    {%- if total_column in columns -%}
        {%- for column in columns if column.endswith('_order_count') and column != total_column -%}
            {%- do rules.append(('inconsistent', column ~ ' > ' ~ total_column,
                "'" ~ column ~ " above " ~ total_column ~ "'")) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(rules) }}
{%- endmacro %}
