{{ config(enabled=source_staging() == 'online_retail') }}

with

invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

products as (
    select * from {{ ref('stg_online_retail__products') }}
),

final as (
    select
        invoice_lines.invoice_line_id as order_line_id,
        invoice_lines.order_id,
        products.product_id,
        invoice_lines.invoice,
        invoice_lines.is_cancellation,
        -- Negative on cancellation lines: they reverse part of the order they belong to.
        invoice_lines.quantity,
        cast(invoice_lines.price as decimal(18, 2)) as unit_price,
        cast(invoice_lines.quantity * invoice_lines.price as decimal(18, 2)) as line_amount,
        -- The source records no discounts.
        cast(0 as decimal(18, 2)) as discount_amount,
        invoice_lines.invoiced_at
    from invoice_lines
    inner join products on invoice_lines.stock_code = products.stock_code
    where invoice_lines.quarantine_reason is null
)

select * from final
