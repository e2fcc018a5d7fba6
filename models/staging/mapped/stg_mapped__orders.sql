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
        returned_date,
        -- Run metadata: which build classified the row (its tests read that build's rows).
        classified_at
    from orders_classified
    where quarantine_reason is null
)

select * from final
