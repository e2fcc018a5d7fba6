{#- The demographic columns of int_customer_features_combined (the mapping's customer attributes
    follow the fixed columns): its published face. -#}

with

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

final as (
    select
        customer_id,
        as_of_date,
        age_years,
        age_band,
        gender,
        country,
        region,
        city,
        signup_date,
        tenure_days,
        acquisition_channel,
        {%- for attribute in source_attributes() %}
        {{ attribute['name'] }},
        {%- endfor %}
        is_loyalty_member
    from customer_features
)

select * from final
