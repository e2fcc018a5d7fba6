with

survey_responses_classified as (
    select * from {{ ref('stg_mapped__survey_responses_classified') }}
),

final as (
    select
        survey_response_id,
        customer_id,
        responded_at,
        nps_score,
        satisfaction_score
    from survey_responses_classified
    where quarantine_reason is null
)

select * from final
