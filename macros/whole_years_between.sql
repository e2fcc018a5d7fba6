{% macro whole_years_between(start_date, end_date) -%}
    {#- Completed years from start_date to end_date (an age), portable across engines. -#}
    (
        extract(year from {{ end_date }}) - extract(year from {{ start_date }})
        - case
            when
                extract(month from {{ end_date }}) * 100 + extract(day from {{ end_date }})
                < extract(month from {{ start_date }}) * 100 + extract(day from {{ start_date }})
                then 1
            else 0
        end
    )
{%- endmacro %}
