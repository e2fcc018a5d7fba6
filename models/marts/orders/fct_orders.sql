with

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

final as (
    select
        cast(orders.order_id as bigint) as order_id,
        cast(orders.customer_id as bigint) as customer_id,
        cast(as_of_dates.as_of_date as date) as as_of_date,
        cast(orders.ordered_at as timestamp) as ordered_at,
        cast(orders.order_date as date) as order_date,
        cast(orders.channel as varchar) as channel,
        cast(orders.is_cancelled as boolean) as is_cancelled,
        cast(
            {{ is_returned_order('orders', 'as_of_dates.as_of_date') }} as boolean
        ) as is_returned,
        cast({{ is_kept_order('orders', 'as_of_dates.as_of_date') }} as boolean) as is_kept,
        cast(orders.has_discount as boolean) as has_discount,
        cast(orders.item_quantity as bigint) as item_quantity,
        cast(orders.gross_amount as decimal(18, 2)) as gross_amount,
        cast(orders.discount_amount as decimal(18, 2)) as discount_amount,
        cast(orders.net_amount as decimal(18, 2)) as net_amount,
        cast(
            case
                when {{ is_kept_order('orders', 'as_of_dates.as_of_date') }}
                    then orders.net_amount
                else 0
            end as decimal(18, 2)
        ) as revenue
    from orders
    cross join as_of_dates
    -- Orders placed after the as-of date are not in this snapshot, as in every other mart.
    where orders.order_date <= as_of_dates.as_of_date
)

select * from final
