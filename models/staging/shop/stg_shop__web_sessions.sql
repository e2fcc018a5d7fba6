with

source as (
    select * from {{ source('shop', 'web_sessions') }}
),

renamed as (
    select
        cast(id as bigint) as web_session_id,
        cast(customer_id as bigint) as customer_id,
        cast(started_at as timestamp) as started_at,
        lower(trim(device)) as device,
        cast(pages_viewed as integer) as pages_viewed,
        cast(converted_order_id as bigint) as converted_order_id
    from source
)

select * from renamed
