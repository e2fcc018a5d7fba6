-- Fails with each order campaign attribution credits more than once, each credited order
-- that is not kept as of the as-of date or is credited a different amount, and a row when
-- attributed revenue over all campaigns exceeds the net revenue of all kept orders. Kept
-- revenue is recomputed from staging, as in assert_segment_revenue_sums_to_total_revenue.
with

attributed_orders as (
    select * from {{ ref('int_orders_attributed_to_campaigns') }}
),

orders as (
    select * from {{ ref('int_orders_canonical') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_canonical') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

kept_orders as (
    select
        orders.order_id,
        coalesce(
            sum(order_lines.line_amount - order_lines.discount_amount), 0
        ) as net_amount
    from orders
    cross join as_of_dates
    left join order_lines on orders.order_id = order_lines.order_id
    where
        orders.order_date <= as_of_dates.as_of_date
        and orders.status is distinct from 'cancelled'
        and (orders.returned_at is null or orders.returned_date > as_of_dates.as_of_date)
    group by all
),

credited_twice as (
    select
        order_id,
        'credited more than once' as failure,
        sum(net_amount) as attributed_amount,
        null as kept_amount
    from attributed_orders
    group by all
    having count(*) > 1
),

credited_wrongly as (
    select
        attributed_orders.order_id,
        'not kept or amount differs' as failure,
        attributed_orders.net_amount as attributed_amount,
        kept_orders.net_amount as kept_amount
    from attributed_orders
    left join kept_orders on attributed_orders.order_id = kept_orders.order_id
    where
        coalesce(abs(attributed_orders.net_amount - kept_orders.net_amount) <= 0.005, false)
        = false
),

attributed_total as (
    select sum(net_amount) as attributed_amount
    from attributed_orders
),

kept_total as (
    select sum(net_amount) as kept_amount
    from kept_orders
),

totals as (
    select
        null as order_id,
        'attributed total exceeds kept total' as failure,
        attributed_total.attributed_amount,
        kept_total.kept_amount
    from attributed_total
    cross join kept_total
)

select * from credited_twice
union all
select * from credited_wrongly
union all
select * from totals
where attributed_amount > kept_amount
