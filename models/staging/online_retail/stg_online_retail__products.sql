{{ config(enabled=source_staging() == 'online_retail') }}

with

invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

kept_lines as (
    select * from invoice_lines
    where quarantine_reason is null
),

description_counts as (
    select
        stock_code,
        description,
        count(description) as line_count
    from kept_lines
    group by all
),

-- A stock code's description varies slightly over time: take its most frequent one, the
-- alphabetically first of equally frequent ones (mode() takes whichever it met first).
products as (
    select
        stock_code,
        description as product_name
    from description_counts
    qualify
        row_number() over (
            partition by stock_code order by line_count desc, description asc nulls last
        ) = 1
),

final as (
    select
        -- A number per stock code, in stock code order (stable for the same data).
        row_number() over (order by stock_code) as product_id,
        stock_code,
        product_name,
        -- The source has no categories (one for all, so category features stay defined),
        -- brands or list prices.
        'uncategorized' as category,
        cast(null as varchar) as brand,
        cast(null as decimal(18, 2)) as list_price
    from products
)

select * from final
