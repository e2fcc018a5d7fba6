{#-
    The selected source system's survey responses, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
-- Online Retail II has no surveys: an empty relation with the same columns.
source as (
    select
        cast(null as bigint) as survey_response_id,
        cast(null as bigint) as customer_id,
        cast(null as timestamp) as responded_at,
        cast(null as integer) as nps_score,
        cast(null as integer) as satisfaction_score
    where false
),
{% else %}
source as (
    select * from {{ ref('stg_shop__survey_responses') }}
),
{% endif %}

final as (
    select
        cast(survey_response_id as bigint) as survey_response_id,
        cast(customer_id as bigint) as customer_id,
        cast(responded_at as timestamp) as responded_at,
        cast(nps_score as integer) as nps_score,
        cast(satisfaction_score as integer) as satisfaction_score
    from source
)

select * from final
