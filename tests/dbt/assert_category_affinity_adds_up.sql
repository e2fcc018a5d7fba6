-- Checked before privacy suppression (int_order_lines_aggregated_to_segment_categories).
-- Fails with each identity of the category affinity that does not hold:
-- - segment_shares: a segment's category_revenue_share does not sum to 1 over its categories;
-- - category_lifts: a category's lifts, weighted by each segment's share of the base's
--   revenue, do not average to 1 (the base is the sum of its segments);
-- - revenue: a segmentation's revenue over segments and categories differs from its revenue
--   in int_segment_kpis_computed (same kept-order and net-amount rules), when every order
--   line is of a product with a category and no customer snapshot brings spend of its own.
with

segment_categories as (
    select * from {{ ref('int_order_lines_aggregated_to_segment_categories') }}
),

segment_kpis as (
    select * from {{ ref('int_segment_kpis_computed') }}
),

products as (
    select * from {{ ref('int_products_canonical') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_canonical') }}
),

customer_snapshots as (
    select * from {{ ref('int_customer_behaviour_canonical') }}
),

-- The revenue identity holds when all revenue comes from lines of categorised products.
revenue_sources as (
    select
        (
            select count(*) as line_count
            from order_lines
            left join products on order_lines.product_id = products.product_id
            where products.category is null
        ) as uncategorized_line_count,
        (select count(*) as snapshot_count from customer_snapshots) as customer_snapshot_count
),

segment_shares as (
    select
        'segment_shares' as identity_name,
        segmentation,
        cast(segment_id as varchar) as cell_name,
        sum(category_revenue_share) as total,
        1.0 as expected
    from segment_categories
    where segment_revenue != 0
    group by all
),

category_lifts as (
    select
        'category_lifts' as identity_name,
        segmentation,
        category as cell_name,
        sum(lift * segment_revenue / base_revenue) as total,
        1.0 as expected
    from segment_categories
    where lift is not null
    group by all
),

segmentation_revenue as (
    select
        segmentation,
        sum(revenue) as revenue
    from segment_categories
    group by all
),

kpi_revenue as (
    select
        segmentation,
        sum(revenue) as revenue
    from segment_kpis
    group by all
),

revenue as (
    select
        'revenue' as identity_name,
        kpi_revenue.segmentation,
        'all' as cell_name,
        coalesce(segmentation_revenue.revenue, 0) as total,
        kpi_revenue.revenue as expected
    from kpi_revenue
    cross join revenue_sources
    left join segmentation_revenue on kpi_revenue.segmentation = segmentation_revenue.segmentation
    where
        revenue_sources.uncategorized_line_count = 0
        and revenue_sources.customer_snapshot_count = 0
),

checked as (
    select * from segment_shares
    union all
    select * from category_lifts
    union all
    select * from revenue
)

select *
from checked
where coalesce(abs(total - expected) > 1e-6 * greatest(1, abs(expected)), true)
