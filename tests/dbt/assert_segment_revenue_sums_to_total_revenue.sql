-- Checked before privacy suppression (int_segment_kpis_computed).
-- Fails with each segmentation (kmeans, rfm) whose segment revenue does not add up to the net
-- revenue of every order that counts by the as-of date, recomputed from all orders (plus a
-- customer snapshot's spend, for a source without orders): an order
-- lost anywhere between staging and the KPI mart (for instance with a customer left out of
-- the feature marts) breaks the identity.
with

segment_kpis as (
    select * from {{ ref('int_segment_kpis_computed') }}
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

-- A customer snapshot's spend stands in for orders (a source without a transaction log).
customer_snapshots as (
    select * from {{ ref('int_customer_behaviour_canonical') }}
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
            order_lines.line_amount - order_lines.discount_amount
        ) as total_revenue
    from order_lines
    inner join counted_orders on order_lines.order_id = counted_orders.order_id
    union all
    select sum(customer_snapshots.monetary_value) as total_revenue
    from customer_snapshots
    cross join as_of_dates
    where customer_snapshots.snapshot_date <= as_of_dates.as_of_date
),

total_revenue as (
    select sum(total_revenue) as total_revenue from order_revenue
),

segmentation_revenue as (
    select
        segmentation,
        sum(revenue) as segment_revenue_total
    from segment_kpis
    group by all
),

expected_segmentations as (
    {{ current_segmentations() }}
)

select
    expected_segmentations.segmentation,
    segmentation_revenue.segment_revenue_total,
    coalesce(total_revenue.total_revenue, 0) as order_revenue_total
from expected_segmentations
cross join total_revenue
left join segmentation_revenue
    on expected_segmentations.segmentation = segmentation_revenue.segmentation
where
    coalesce(
        abs(segmentation_revenue.segment_revenue_total - coalesce(total_revenue.total_revenue, 0))
        <= 0.005,
        false
    ) = false
