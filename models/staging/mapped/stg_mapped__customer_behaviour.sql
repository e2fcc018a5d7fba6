{#- One row per kept customer of a customer snapshot (no orders): its precomputed behaviour,
    null where it has none, measured on the snapshot date. -#}
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
    -- With orders, no rows: the orders give the behaviour.
    where {{ 'true' if customers_are_a_snapshot() else 'false' }}
)

select * from final
