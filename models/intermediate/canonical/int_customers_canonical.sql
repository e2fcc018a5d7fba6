{#-
    The selected source system's customers, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
source as (
    select * from {{ ref('stg_online_retail__customers') }}
),
{% else %}
source as (
    select * from {{ ref('stg_shop__customers') }}
),
{% endif %}

final as (
    select
        cast(customer_id as bigint) as customer_id,
        cast(email_hash as varchar) as email_hash,
        cast(has_phone as boolean) as has_phone,
        cast(birth_date as date) as birth_date,
        cast(gender as varchar) as gender,
        cast(country as varchar) as country,
        cast(region as varchar) as region,
        cast(city as varchar) as city,
        cast(signup_date as date) as signup_date,
        cast(acquisition_channel as varchar) as acquisition_channel,
        cast(is_loyalty_member as boolean) as is_loyalty_member
    from source
)

select * from final
