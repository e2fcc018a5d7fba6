with

survey_responses as (
    select * from {{ ref('int_survey_responses_canonical') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

responses_as_of as (
    select survey_responses.*
    from survey_responses
    cross join as_of_dates
    where cast(survey_responses.responded_at as date) <= as_of_dates.as_of_date
),

final as (
    select
        customer_id,
        count(*) as survey_response_count,
        arg_max(nps_score, (responded_at, survey_response_id)) as latest_nps_score,
        arg_max(satisfaction_score, (responded_at, survey_response_id))
            as latest_satisfaction_score
    from responses_as_of
    group by all
)

select * from final
