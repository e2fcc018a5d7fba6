with

customers as (
    select * from {{ ref('int_customers_canonical') }}
),

final as (
    select
        customer_id,
        source_customer_id,
        signup_date,
        gender,
        country,
        region,
        city,
        acquisition_channel,
        is_loyalty_member,
        has_phone,
        birth_date is not null as has_birth_date
    from customers
)

select * from final
