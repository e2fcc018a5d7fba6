with

orders_classified as (
    select * from {{ ref('stg_mapped__orders_classified') }}
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        order_date,
        channel,
        status,
        discount_code,
        returned_at,
        returned_date
    from orders_classified
    where quarantine_reason is null
)

select * from final
