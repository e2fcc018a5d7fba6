{%- set gross_amount = 'coalesce(line_totals.gross_amount, 0)' %}

with

orders as (
    select * from {{ ref('int_orders_canonical') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_canonical') }}
),

line_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_quantity,
        sum(line_amount) as gross_amount,
        sum(discount_amount) as discount_amount
    from order_lines
    group by all
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_date,
        orders.channel,
        orders.status,
        orders.discount_code,
        orders.returned_at,
        orders.returned_date,
        -- A null status is not a cancellation: the order stays (and fails a staging test).
        coalesce(orders.status = 'cancelled', false) as is_cancelled,
        orders.discount_code is not null
        or coalesce(line_totals.discount_amount, 0) > 0 as has_discount,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.item_quantity, 0) as item_quantity,
        {{ gross_amount }} as gross_amount,
        coalesce(line_totals.discount_amount, 0) as discount_amount,
        {{ net_of_discount(gross_amount, 'line_totals.discount_amount') }} as net_amount
    from orders
    left join line_totals on orders.order_id = line_totals.order_id
)

select * from final
