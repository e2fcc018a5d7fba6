with

campaign_sends_classified as (
    select * from {{ ref('stg_mapped__campaign_sends_classified') }}
),

final as (
    select
        campaign_send_id,
        campaign_id,
        customer_id,
        sent_at,
        is_accepted,
        -- Run metadata: which build classified the row (its tests read that build's rows).
        classified_at
    from campaign_sends_classified
    where quarantine_reason is null
)

select * from final
