with

customers_classified as (
    select * from {{ ref('stg_shop__customers_classified') }}
),

final as (
    select
        customer_id,
        email_hash,
        has_phone,
        birth_date,
        gender,
        country,
        region,
        city,
        signup_date,
        acquisition_channel,
        is_loyalty_member
    from customers_classified
    where quarantine_reason is null
)

select * from final
