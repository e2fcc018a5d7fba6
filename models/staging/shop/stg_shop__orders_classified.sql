with

source as (
    select * from {{ source('shop', 'orders') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

typed as (
    select
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as order_id,
        try_cast(customer_id as bigint) as customer_id,
        try_cast(ordered_at as timestamp) as ordered_at,
        lower({{ clean_text('channel') }}) as channel,
        lower({{ clean_text('status') }}) as status,
        upper({{ clean_text('discount_code') }}) as discount_code,
        try_cast(returned_at as timestamp) as returned_at,
        cast(null as double) as row_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'customer_id': 'bigint',
            'ordered_at': 'timestamp',
            'returned_at': 'timestamp',
        }) }} as has_unparseable_value,
        {{ key_row_count('try_cast(id as bigint)') }},
        source as raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed') }}
),

checked as (
    select
        counted.*,
        customers.customer_id is not null as has_customer,
        customers.signup_date
    from counted
    left join customers on counted.customer_id = customers.customer_id
),

classified as (
    select
        *,
        case
            when row_key is null or customer_id is null then 'null_key'
            when has_unparseable_value then 'unparseable_value'
            when {{ is_duplicate_key() }} then 'duplicate_key'
            when ordered_at is null or channel is null or status is null then 'missing_value'
            when
                channel not in ('web', 'app', 'store')
                or status not in ('completed', 'returned', 'cancelled')
                or {{ is_outside_event_dates('ordered_at') }}
                or {{ is_outside_event_dates('returned_at') }}
                then 'invalid_value'
            when {{ is_future('ordered_at') }} or {{ is_future('returned_at') }} then 'future_date'
            when not has_customer then 'orphan_reference'
            when
                (status = 'returned') != (returned_at is not null)
                or returned_at < ordered_at
                or cast(ordered_at as date) < signup_date
                then 'inconsistent'
        end as quarantine_reason
    from checked
),

final as (
    select
        'orders' as source_table,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        channel,
        status,
        discount_code,
        returned_at,
        cast(returned_at as date) as returned_date
    from classified
)

select * from final
