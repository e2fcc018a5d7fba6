with

source as (
    select * from {{ source('shop', 'orders') }}
),

renamed as (
    select
        cast(id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(ordered_at as timestamp) as ordered_at,
        cast(ordered_at as date) as order_date,
        lower(trim(channel)) as channel,
        lower(trim(status)) as status,
        upper(trim(discount_code)) as discount_code,
        cast(returned_at as timestamp) as returned_at,
        cast(returned_at as date) as returned_date
    from source
)

select * from renamed
