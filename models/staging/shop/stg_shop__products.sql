with

source as (
    select * from {{ source('shop', 'products') }}
),

renamed as (
    select
        cast(id as bigint) as product_id,
        trim(name) as product_name,
        lower(trim(category)) as category,
        trim(brand) as brand,
        cast(list_price as decimal(18, 2)) as list_price
    from source
)

select * from renamed
