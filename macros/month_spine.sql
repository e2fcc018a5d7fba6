{% macro month_spine(relation, start_date, end_date) -%}
    {#-
        A select of one row per month (`month_start_date`, its first day) from the month of
        `start_date` to the month of `end_date`, both inclusive, for each row of `relation`
        (normally a single row holding both dates).
    -#}
    select cast(month_start_at as date) as month_start_date
    from (
        select
            unnest(
                generate_series(
                    cast({{ dbt.date_trunc('month', start_date) }} as timestamp),
                    cast({{ dbt.date_trunc('month', end_date) }} as timestamp),
                    interval 1 month
                )
            ) as month_start_at
        from {{ relation }}
    ) as months
{%- endmacro %}

{% macro day_spine(relation, start_date, end_date) -%}
    {#-
        A select of one row per day (`date_day`) from `start_date` to `end_date`, both
        inclusive, for each row of `relation` (normally a single row holding both dates).
    -#}
    select cast(day_at as date) as date_day
    from (
        select
            unnest(
                generate_series(
                    cast({{ start_date }} as timestamp),
                    cast({{ end_date }} as timestamp),
                    interval 1 day
                )
            ) as day_at
        from {{ relation }}
    ) as days
{%- endmacro %}
