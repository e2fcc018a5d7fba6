with

campaigns_classified as (
    select * from {{ ref('stg_mapped__campaigns_classified') }}
),

final as (
    select
        campaign_id,
        campaign_name,
        channel,
        start_date,
        end_date,
        cost
    from campaigns_classified
    where quarantine_reason is null
)

select * from final
