-- Fails when segment revenue does not add up to the net revenue of every order that counts by
-- the as-of date, recomputed from all orders: an order lost anywhere between staging and the
-- KPI mart (for instance with a customer left out of the feature marts) breaks the identity.
with

segment_kpis as (
    select * from {{ ref('fct_segment_kpis') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_lines as (
    select * from {{ ref('stg_shop__order_lines') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

counted_orders as (
    select orders.order_id
    from orders
    cross join as_of_dates
    where
        orders.order_date <= as_of_dates.as_of_date
        and orders.status is distinct from 'cancelled'
        and (orders.returned_at is null or orders.returned_date > as_of_dates.as_of_date)
),

order_revenue as (
    select
        sum(
            order_lines.quantity * order_lines.unit_price - order_lines.discount_amount
        ) as total_revenue
    from order_lines
    inner join counted_orders on order_lines.order_id = counted_orders.order_id
),

totals as (
    select
        (select sum(segment_kpis.revenue) as revenue from segment_kpis)
            as segment_revenue_total,
        (select coalesce(order_revenue.total_revenue, 0) as revenue from order_revenue)
            as order_revenue_total
)

select *
from totals
where abs(segment_revenue_total - order_revenue_total) > 0.005
