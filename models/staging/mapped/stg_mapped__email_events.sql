with

email_events_classified as (
    select * from {{ ref('stg_mapped__email_events_classified') }}
),

final as (
    select
        email_event_id,
        campaign_send_id,
        event_type,
        occurred_at,
        -- Run metadata: which build classified the row (its tests read that build's rows).
        classified_at
    from email_events_classified
    where quarantine_reason is null
)

select * from final
