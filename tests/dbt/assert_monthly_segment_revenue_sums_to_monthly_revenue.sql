-- Fails with each segmentation (kmeans, rfm) and month whose segment revenue and order
-- count (before suppression) do not add up to the kept orders placed in that month,
-- recomputed from all orders in staging, or whose member counts do not add up to the
-- customers signed up by the month's end. A month with kept orders but no segment rows
-- fails too.
with

segment_months as (
    select * from {{ ref('int_customers_aggregated_to_segment_months') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customers as (
    select * from {{ ref('int_customers_canonical') }}
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

segmentations as (
    {{ current_segmentations() }}
),

kept_orders as (
    select
        orders.order_id,
        date_trunc('month', orders.order_date) as calendar_month,
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

monthly_orders as (
    select
        calendar_month,
        count(*) as order_count,
        sum(net_amount) as revenue
    from kept_orders
    group by all
),

segment_totals as (
    select
        segmentation,
        calendar_month,
        sum(member_count) as member_count,
        sum(order_count) as order_count,
        sum(revenue) as revenue
    from segment_months
    group by all
),

segmented_customers as (
    select
        customers.customer_id,
        customers.signup_date
    from customers
    inner join customer_segments on customers.customer_id = customer_segments.customer_id
),

members_by_month as (
    select
        segment_totals.segmentation,
        segment_totals.calendar_month,
        count(segmented_customers.customer_id) as member_count
    from segment_totals
    left join segmented_customers
        on coalesce(
            segmented_customers.signup_date <= last_day(segment_totals.calendar_month), true
        )
    group by all
),

expected as (
    select
        segmentations.segmentation,
        monthly_orders.calendar_month,
        monthly_orders.order_count,
        monthly_orders.revenue
    from monthly_orders
    cross join segmentations
)

select
    coalesce(expected.segmentation, segment_totals.segmentation) as segmentation,
    coalesce(expected.calendar_month, segment_totals.calendar_month) as calendar_month,
    expected.revenue as expected_revenue,
    segment_totals.revenue as segment_revenue,
    expected.order_count as expected_order_count,
    segment_totals.order_count as segment_order_count,
    members_by_month.member_count as expected_member_count,
    segment_totals.member_count as segment_member_count
from expected
full outer join segment_totals
    on
        expected.segmentation = segment_totals.segmentation
        and expected.calendar_month = segment_totals.calendar_month
left join members_by_month
    on
        segment_totals.segmentation = members_by_month.segmentation
        and segment_totals.calendar_month = members_by_month.calendar_month
where
    coalesce(
        abs(coalesce(expected.revenue, 0) - segment_totals.revenue) <= 0.005
        and coalesce(expected.order_count, 0) = segment_totals.order_count
        and coalesce(members_by_month.member_count, 0) = segment_totals.member_count,
        false
    ) = false
