{#- Attributes, behaviour and spend per category, when the source has them. -#}
{%- set extra_columns = customer_extra_columns().values() | map(attribute=0) | list %}

with

customers_classified as (
    select * from {{ ref('stg_mapped__customers_classified') }}
),

final as (
    select
        customer_id,
        source_customer_id,
        email_hash,
        has_phone,
        birth_date,
        gender,
        country,
        region,
        city,
        signup_date,
        acquisition_channel,
        is_loyalty_member,
        {{ leading_columns(extra_columns) }}snapshot_date
    from customers_classified
    where quarantine_reason is null
)

select * from final
