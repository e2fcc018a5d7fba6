{#- One row per customer per column the segment model reads (macro segment_model_columns). -#}
{%- set model_columns = segment_model_columns() -%}

with

customer_features as (
    select * from {{ ref('fct_customer_features') }}
),

unpivoted as (
    {%- for column in model_columns %}
    select
        customer_id,
        as_of_date,
        '{{ column }}' as column_name,
        cast({{ column }} as double) as column_value
    from customer_features
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select * from unpivoted
)

select * from final
