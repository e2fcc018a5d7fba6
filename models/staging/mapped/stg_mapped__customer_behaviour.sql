{#- One row per kept customer with precomputed behaviour (a customer snapshot). -#}
{%- set behaviour = source_behaviour() -%}
{%- set columns = [] -%}
{%- for field in [
    'recency_days', 'order_count', 'monetary_value', 'discounted_order_count',
    'returned_order_count', 'web_order_count', 'app_order_count', 'store_order_count',
] -%}
{%- do columns.append(
    ('behaviour_' ~ field if field in behaviour else 'null') ~ ' as ' ~ field
) -%}
{%- endfor %}

with

customers as (
    select * from {{ ref('stg_mapped__customers') }}
),

final as (
    select
        customer_id,
        {{ leading_columns(columns) }}snapshot_date
    from customers
    -- Without precomputed behaviour or spend, no rows.
    where {{ 'true' if behaviour or source_category_spend() else 'false' }}
)

select * from final
