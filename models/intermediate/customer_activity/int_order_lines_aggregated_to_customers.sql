with

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

snapshot_spend as (
    select * from {{ ref('int_customer_category_spend_canonical') }}
),

-- Category mix reflects what customers chose to buy by the as-of date, returns included;
-- cancelled orders never happened.
category_spend as (
    select
        orders.customer_id,
        products.category,
        sum(order_lines.line_amount) as category_amount
    from order_lines
    inner join orders on order_lines.order_id = orders.order_id
    inner join products on order_lines.product_id = products.product_id
    cross join as_of_dates
    where {{ is_placed_order('orders', 'as_of_dates.as_of_date') }}
    group by all
    -- A customer snapshot's spend per category (a source without order lines).
    union all
    select
        snapshot_spend.customer_id,
        snapshot_spend.category,
        snapshot_spend.amount as category_amount
    from snapshot_spend
    cross join as_of_dates
    where
        snapshot_spend.snapshot_date <= as_of_dates.as_of_date
        and snapshot_spend.amount > 0
),

ranked as (
    select
        customer_id,
        category,
        count(*) over (partition by customer_id) as distinct_category_count,
        -- Ties go to the alphabetically first category so the answer is stable.
        row_number() over (
            partition by customer_id order by category_amount desc, category asc
        ) as spend_rank
    from category_spend
),

final as (
    select
        customer_id,
        distinct_category_count,
        category as top_category
    from ranked
    where spend_rank = 1
)

select * from final
