with

demographic_features as (
    select * from {{ ref('fct_customer_demographic_features') }}
),

behavioural_features as (
    select * from {{ ref('fct_customer_behavioural_features') }}
),

final as (
    select
        behavioural_features.*,
        demographic_features.age_years,
        demographic_features.age_band,
        demographic_features.gender,
        demographic_features.country,
        demographic_features.region,
        demographic_features.city,
        demographic_features.signup_date,
        demographic_features.tenure_days,
        demographic_features.acquisition_channel,
        {%- for attribute in source_attributes() %}
        demographic_features.{{ attribute['name'] }},
        {%- endfor %}
        demographic_features.is_loyalty_member
    from behavioural_features
    inner join demographic_features
        on behavioural_features.customer_id = demographic_features.customer_id
)

select * from final
