with

source as (
    select * from {{ source('shop', 'order_lines') }}
),

renamed as (
    select
        cast(id as bigint) as order_line_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as bigint) as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        cast(discount_amount as decimal(18, 2)) as discount_amount
    from source
)

select * from renamed
