with

source as (
    select * from {{ source('shop', 'customers') }}
),

typed as (
    select
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as customer_id,
        -- Names and phone numbers stop here; the email survives only as a one-way hash.
        {{ hash_pii(clean_text('email')) }} as email_hash,
        {{ clean_text('phone') }} is not null as has_phone,
        try_cast(birth_date as date) as birth_date,
        lower({{ clean_text('gender') }}) as gender,
        {{ clean_text('country') }} as country,
        {{ clean_text('region') }} as region,
        {{ clean_text('city') }} as city,
        try_cast(signup_date as date) as signup_date,
        lower({{ clean_text('acquisition_channel') }}) as acquisition_channel,
        try_cast(is_loyalty_member as boolean) as is_loyalty_member,
        cast(null as double) as row_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'birth_date': 'date',
            'signup_date': 'date',
            'is_loyalty_member': 'boolean',
        }) }} as has_unparseable_value,
        {{ key_row_count('try_cast(id as bigint)') }},
        source as raw_struct,
        -- The raw row for the quarantine, without PII: no names, phone or birth date, and the
        -- email hashed.
        struct_pack(
            id := id,
            email_hash := {{ hash_pii(clean_text('email')) }},
            has_phone := {{ clean_text('phone') }} is not null,
            gender := gender,
            country := country,
            region := region,
            city := city,
            signup_date := signup_date,
            acquisition_channel := acquisition_channel,
            is_loyalty_member := is_loyalty_member
        ) as pii_free_raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed') }}
),

classified as (
    select
        *,
        case
            when row_key is null then 'null_key'
            when has_unparseable_value then 'unparseable_value'
            when {{ is_duplicate_key() }} then 'duplicate_key'
            when signup_date is null or country is null then 'missing_value'
            when
                gender not in ('female', 'male', 'non_binary', 'undisclosed')
                or acquisition_channel not in (
                    'organic_search', 'paid_search', 'social', 'referral', 'email', 'affiliate',
                    'store'
                )
                or birth_date < date '1900-01-01'
                or {{ is_outside_event_dates('signup_date') }}
                then 'invalid_value'
            when {{ is_future('signup_date') }} or {{ is_future('birth_date') }} then 'future_date'
            when birth_date > signup_date then 'inconsistent'
        end as quarantine_reason
    from counted
),

final as (
    select
        'customers' as source_table,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row('pii_free_raw_struct') }} as raw_row,
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
    from classified
)

select * from final
