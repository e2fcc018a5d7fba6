with

source as (
    select * from {{ source('shop', 'survey_responses') }}
),

renamed as (
    select
        cast(id as bigint) as survey_response_id,
        cast(customer_id as bigint) as customer_id,
        cast(responded_at as timestamp) as responded_at,
        cast(nps_score as integer) as nps_score,
        cast(satisfaction_score as integer) as satisfaction_score
    from source
)

select * from renamed
