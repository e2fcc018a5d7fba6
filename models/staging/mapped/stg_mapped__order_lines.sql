with

order_lines_classified as (
    select * from {{ ref('stg_mapped__order_lines_classified') }}
),

final as (
    select
        order_line_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        line_amount,
        discount_amount,
        -- Run metadata: which build classified the row (its tests read that build's rows).
        classified_at
    from order_lines_classified
    where quarantine_reason is null
)

select * from final
