with

source as (
    select * from {{ source('shop', 'customers') }}
),

renamed as (
    select
        cast(id as bigint) as customer_id,
        -- Names and phone numbers stop here; the email survives only as a one-way hash.
        {{ hash_pii('email') }} as email_hash,
        phone is not null as has_phone,
        cast(birth_date as date) as birth_date,
        lower(trim(gender)) as gender,
        trim(country) as country,
        trim(region) as region,
        trim(city) as city,
        cast(signup_date as date) as signup_date,
        lower(trim(acquisition_channel)) as acquisition_channel,
        cast(is_loyalty_member as boolean) as is_loyalty_member
    from source
)

select * from renamed
