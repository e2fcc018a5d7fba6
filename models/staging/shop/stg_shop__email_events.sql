with

source as (
    select * from {{ source('shop', 'email_events') }}
),

renamed as (
    select
        cast(id as bigint) as email_event_id,
        cast(campaign_send_id as bigint) as campaign_send_id,
        lower(trim(event_type)) as event_type,
        cast(occurred_at as timestamp) as occurred_at
    from source
)

select * from renamed
