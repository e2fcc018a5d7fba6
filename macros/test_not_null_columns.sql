{% test not_null_columns(model, column_names) %}
    {#-
        not_null for many columns of one model in one test: one scan and one dbt node instead
        of one per column. Fails with one row per column that has nulls (column_name,
        null_count); the failure count is the number of null values, as with not_null.
        The test's name does not name the column: `python -m segwarehouse.sources build`
        prints a failed test's rows (segwarehouse.failed_tests).
    -#}
    {{ config(fail_calc='coalesce(sum(null_count), 0)') }}
    with null_counts as (
        select
            {%- for column in column_names %}
            count(*) filter (where {{ column }} is null) as {{ adapter.quote(column) }}
            {{- "," if not loop.last }}
            {%- endfor %}
        from {{ model }}
    ),

    by_column as (
        unpivot null_counts
        on columns(*)
        into name column_name value null_count
    )

    select
        column_name,
        null_count
    from by_column
    where null_count > 0
{% endtest %}
