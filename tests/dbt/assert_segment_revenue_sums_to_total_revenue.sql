-- Fails when segment revenue does not add up to the net revenue of every order that counts
-- by the as-of date, recomputed here from orders rather than from the feature mart.
with

segment_kpis as (
    select * from {{ ref('fct_segment_kpis') }}
),

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

customer_features as (
    select * from {{ ref('fct_customer_features') }}
),

order_revenue as (
    select sum(orders.net_amount) as total_revenue
    from orders
    cross join as_of_dates
    inner join customer_features on orders.customer_id = customer_features.customer_id
    where
        orders.order_date <= as_of_dates.as_of_date
        and not orders.is_cancelled
        and not coalesce(orders.returned_date <= as_of_dates.as_of_date, false)
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
