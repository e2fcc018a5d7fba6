{% macro out_of_range(column_name, min_value=none, max_value=none) %}
    {#- True for a non-null value below min_value or above max_value (each bound optional,
        both inclusive); the rule both range tests below apply. -#}
    (
        {{ column_name }} is not null
        and (
            false
            {% if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
            {% if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
        )
    )
{%- endmacro %}

{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
    {#- Fails with each row whose value lies outside [min_value, max_value]; nulls pass. -#}
    select {{ column_name }}
    from {{ model }}
    where {{ out_of_range(column_name, min_value, max_value) }}
{% endtest %}

{% test accepted_ranges(model, ranges) %}
    {#-
        accepted_range for many columns of one model in one test: one scan and one dbt node
        instead of one per column. `ranges` maps each column to its {min_value, max_value}.
        Fails with one row per column holding values out of its range (column_name, its
        bounds, out_of_range_count); the failure count is the number of such values, as with
        accepted_range. `python -m segwarehouse.sources build` prints a failed test's rows.
    -#}
    {{ config(fail_calc='coalesce(sum(out_of_range_count), 0)') }}
    {%- if ranges is not mapping or ranges | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "accepted_ranges on " ~ model ~ ": `ranges` must map columns to "
            ~ "{min_value: ..., max_value: ...}, got " ~ ranges) }}
    {%- endif -%}
    {%- for column, bounds in ranges.items() -%}
        {%- if bounds is not mapping or bounds | length == 0
            or (bounds.keys() | reject("in", ["min_value", "max_value"]) | list) -%}
            {{ exceptions.raise_compiler_error(
                "accepted_ranges on " ~ model ~ ": the range of " ~ column ~ " must have "
                ~ "min_value and/or max_value and nothing else, got " ~ bounds) }}
        {%- endif -%}
    {%- endfor %}
    with out_of_range_counts as (
        select
            {%- for column, bounds in ranges.items() %}
            count(*) filter (
                where {{ out_of_range(column, bounds.get("min_value"), bounds.get("max_value")) }}
            ) as {{ adapter.quote(column) }}
            {{- "," if not loop.last }}
            {%- endfor %}
        from {{ model }}
    ),

    by_column as (
        unpivot out_of_range_counts
        on columns(*)
        into name column_name value out_of_range_count
    ),

    accepted as (
        select *
        from (
            values
            {%- for column, bounds in ranges.items() %}
            (
                '{{ column }}',
                cast({{ bounds.get("min_value", "null") }} as double),
                cast({{ bounds.get("max_value", "null") }} as double)
            ){{ "," if not loop.last }}
            {%- endfor %}
        ) as bounds (column_name, min_value, max_value)
    )

    select
        by_column.column_name,
        accepted.min_value,
        accepted.max_value,
        by_column.out_of_range_count
    from by_column
    inner join accepted on by_column.column_name = accepted.column_name
    where by_column.out_of_range_count > 0
{% endtest %}
