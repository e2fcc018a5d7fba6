with

source as (
    select * from {{ source('shop', 'campaign_sends') }}
),

renamed as (
    select
        cast(id as bigint) as campaign_send_id,
        cast(campaign_id as bigint) as campaign_id,
        cast(customer_id as bigint) as customer_id,
        cast(sent_at as timestamp) as sent_at
    from source
)

select * from renamed
