{{ config(enabled=source_staging() == 'online_retail') }}

with

order_lines as (
    select * from {{ ref('stg_online_retail__order_lines') }}
),

invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

purchases as (
    select
        order_id,
        any_value(customer_id) as customer_id,
        min(invoiced_at) as ordered_at
    from invoice_lines
    where quarantine_reason is null and not is_cancellation
    group by all
),

-- What is left of each order after the cancellation lines matched to it.
order_totals as (
    select
        order_id,
        sum(quantity * unit_price) as net_amount,
        max(invoiced_at) filter (where is_cancellation) as last_cancelled_at
    from order_lines
    group by all
),

final as (
    select
        purchases.order_id,
        purchases.customer_id,
        purchases.ordered_at,
        cast(purchases.ordered_at as date) as order_date,
        -- An online shop: every order is a web order.
        'web' as channel,
        -- Cancelled in full (nothing left) = returned, on the last cancellation's date. A
        -- partly cancelled order stays completed with its reduced amount.
        case
            when order_totals.net_amount <= 0 then 'returned'
            else 'completed'
        end as status,
        cast(null as varchar) as discount_code,
        case
            when order_totals.net_amount <= 0 then order_totals.last_cancelled_at
        end as returned_at,
        case
            when order_totals.net_amount <= 0 then cast(order_totals.last_cancelled_at as date)
        end as returned_date
    from purchases
    inner join order_totals on purchases.order_id = order_totals.order_id
)

select * from final
