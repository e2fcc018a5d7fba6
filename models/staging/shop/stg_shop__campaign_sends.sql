with

campaign_sends_classified as (
    select * from {{ ref('stg_shop__campaign_sends_classified') }}
),

final as (
    select
        campaign_send_id,
        campaign_id,
        customer_id,
        sent_at
    from campaign_sends_classified
    where quarantine_reason is null
)

select * from final
