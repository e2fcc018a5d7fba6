with

web_sessions_classified as (
    select * from {{ ref('stg_mapped__web_sessions_classified') }}
),

final as (
    select
        web_session_id,
        customer_id,
        started_at,
        device,
        pages_viewed,
        converted_order_id,
        -- Run metadata: which build classified the row (its tests read that build's rows).
        classified_at
    from web_sessions_classified
    where quarantine_reason is null
)

select * from final
