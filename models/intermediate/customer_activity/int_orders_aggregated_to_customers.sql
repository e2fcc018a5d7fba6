with

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- Cancelled orders never count; an order counts as returned only if the return happened by
-- the as-of date, so a later return cannot leak back into an earlier snapshot.
orders_as_of as (
    select
        orders.*,
        as_of_dates.as_of_date,
        {{ is_kept_order('orders', 'as_of_dates.as_of_date') }} as is_kept_as_of
    from orders
    cross join as_of_dates
    where {{ is_placed_order('orders', 'as_of_dates.as_of_date') }}
),

aggregated as (
    select
        customer_id,
        any_value(as_of_date) as as_of_date,
        count(*) as order_count,
        count(*) filter (where not is_kept_as_of) as returned_order_count,
        count(*) filter (where is_kept_as_of) as kept_order_count,
        count(*) filter (where has_discount) as discounted_order_count,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        coalesce(sum(net_amount) filter (where is_kept_as_of), 0) as net_revenue,
        coalesce(sum(gross_amount), 0) as gross_amount,
        coalesce(sum(discount_amount), 0) as discount_amount,
        count(*) filter (where channel = 'web') as web_order_count,
        count(*) filter (where channel = 'app') as app_order_count,
        count(*) filter (where channel = 'store') as store_order_count
    from orders_as_of
    group by all
),

final as (
    select
        customer_id,
        as_of_date,
        order_count,
        returned_order_count,
        kept_order_count,
        discounted_order_count,
        first_order_date,
        last_order_date,
        as_of_date - last_order_date as recency_days,
        {{ safe_divide('last_order_date - first_order_date', 'order_count - 1') }}
            as mean_days_between_orders,
        net_revenue,
        {{ safe_divide('net_revenue', 'kept_order_count') }} as average_order_value,
        {{ safe_divide('returned_order_count', 'order_count') }} as return_rate,
        {{ safe_divide('discounted_order_count', 'order_count') }} as discounted_order_share,
        {{ safe_divide('discount_amount', 'gross_amount') }} as discount_amount_share,
        {{ safe_divide('web_order_count', 'order_count') }} as web_order_share,
        {{ safe_divide('app_order_count', 'order_count') }} as app_order_share,
        {{ safe_divide('store_order_count', 'order_count') }} as store_order_share
    from aggregated
)

select * from final
