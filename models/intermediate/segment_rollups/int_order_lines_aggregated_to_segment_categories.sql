with

memberships as (
    select * from {{ ref('int_customer_segment_memberships') }}
),

orders as (
    select * from {{ ref('int_orders_valued') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_canonical') }}
),

products as (
    select * from {{ ref('int_products_canonical') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- The lines of orders that count as revenue by the as-of date, of products with a category.
-- A line's net amount is its part of the order's net_amount (int_orders_valued): what it cost
-- less its discount.
kept_lines as (
    select
        orders.customer_id,
        products.category,
        order_lines.quantity,
        {{ net_of_discount('order_lines.line_amount', 'order_lines.discount_amount') }}
            as net_amount
    from order_lines
    inner join orders on order_lines.order_id = orders.order_id
    inner join products on order_lines.product_id = products.product_id
    cross join as_of_dates
    where
        {{ is_kept_order('orders', 'as_of_dates.as_of_date') }}
        and products.category is not null
),

segment_sizes as (
    select
        segmentation,
        segment_id,
        count(*) as segment_customer_count
    from memberships
    group by all
),

-- One row per customer and category before meeting the memberships: each segmentation joins
-- a buyer once, not once per line (the sums are decimal and integer, exact in any order).
customer_categories as (
    select
        customer_id,
        category,
        count(*) as order_line_count,
        sum(quantity) as quantity,
        sum(net_amount) as revenue
    from kept_lines
    group by all
),

cells as (
    select
        memberships.segmentation,
        memberships.segment_id,
        memberships.as_of_date,
        customer_categories.category,
        -- A customer is in one segment of a segmentation (per as-of date): a row is a buyer.
        count(*) as buyer_count,
        cast(sum(customer_categories.order_line_count) as bigint) as order_line_count,
        sum(customer_categories.quantity) as quantity,
        sum(customer_categories.revenue) as revenue
    from customer_categories
    inner join memberships on customer_categories.customer_id = memberships.customer_id
    group by all
),

-- Totals of the segment (its categories) and of the whole base (every segment of the
-- segmentation, i.e. every segmented customer), and the base's number of categories.
totals as (
    select
        *,
        sum(revenue) over (partition by segmentation, segment_id) as segment_revenue,
        sum(revenue) over (partition by segmentation, category) as base_category_revenue,
        sum(revenue) over (partition by segmentation) as base_revenue
    from cells
),

base_category_counts as (
    select
        segmentation,
        count(distinct category) as base_category_count
    from cells
    group by all
),

final as (
    select
        totals.segmentation,
        totals.segment_id,
        totals.category,
        totals.as_of_date,
        segment_sizes.segment_customer_count,
        totals.buyer_count,
        {{ safe_divide('totals.buyer_count', 'segment_sizes.segment_customer_count') }}
            as buyer_share,
        totals.order_line_count,
        totals.quantity,
        totals.revenue,
        totals.segment_revenue,
        totals.base_category_revenue,
        totals.base_revenue,
        base_category_counts.base_category_count,
        {{ safe_divide('totals.revenue', 'totals.segment_revenue') }} as category_revenue_share,
        {{ safe_divide('totals.base_category_revenue', 'totals.base_revenue') }}
            as base_category_revenue_share,
        {{ safe_divide(
            safe_divide('totals.revenue', 'totals.segment_revenue'),
            safe_divide('totals.base_category_revenue', 'totals.base_revenue'),
        ) }} as lift
    from totals
    inner join segment_sizes
        on
            totals.segmentation = segment_sizes.segmentation
            and totals.segment_id = segment_sizes.segment_id
    inner join base_category_counts
        on totals.segmentation = base_category_counts.segmentation
)

select * from final
