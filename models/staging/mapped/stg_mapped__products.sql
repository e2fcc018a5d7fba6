with

products_classified as (
    select * from {{ ref('stg_mapped__products_classified') }}
),

final as (
    select
        product_id,
        product_name,
        category,
        brand,
        list_price
    from products_classified
    where quarantine_reason is null
)

select * from final
