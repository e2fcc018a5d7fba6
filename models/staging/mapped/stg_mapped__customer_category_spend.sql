{#- One row per kept customer per category with spend in a customer snapshot. -#}
{%- set category_spend = source_category_spend() -%}

with

customers as (
    select * from {{ ref('stg_mapped__customers') }}
),

final as (
    {%- for pair in category_spend %}
    select
        customer_id,
        snapshot_date,
        {{ string_literal(pair[0]) }} as category,
        category_spend_{{ loop.index }} as amount
    from customers
    where category_spend_{{ loop.index }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    -- The source has no spend per category.
    select
        customer_id,
        snapshot_date,
        cast(null as varchar) as category,
        cast(null as decimal(18, 2)) as amount
    from customers
    where false
    {%- endfor %}
)

select * from final
