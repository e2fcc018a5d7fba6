with

source as (
    select * from {{ source('shop', 'web_sessions') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

typed as (
    select
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as web_session_id,
        try_cast(customer_id as bigint) as customer_id,
        try_cast(started_at as timestamp) as started_at,
        lower({{ clean_text('device') }}) as device,
        try_cast(pages_viewed as integer) as pages_viewed,
        try_cast(converted_order_id as bigint) as converted_order_id,
        cast(null as double) as row_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'customer_id': 'bigint',
            'started_at': 'timestamp',
            'pages_viewed': 'integer',
            'converted_order_id': 'bigint',
        }) }} as has_unparseable_value,
        {{ duplicate_key_counts(['try_cast(id as bigint)']) }},
        to_json(source) as raw_row
    from source
),

checked as (
    select
        typed.*,
        customers.customer_id is not null as has_customer,
        typed.converted_order_id is null or orders.order_id is not null as has_converted_order
    from typed
    left join customers on typed.customer_id = customers.customer_id
    left join orders on typed.converted_order_id = orders.order_id
),

classified as (
    select
        *,
        case
            when row_key is null or customer_id is null then 'null_key'
            when has_unparseable_value then 'unparseable_value'
            when {{ is_duplicate_key() }} then 'duplicate_key'
            when started_at is null or pages_viewed is null then 'missing_value'
            when
                device not in ('desktop', 'mobile', 'tablet')
                or pages_viewed < 0
                or pages_viewed > {{ var('quarantine_max_pages_viewed') }}
                or {{ is_outside_event_dates('started_at') }}
                then 'invalid_value'
            when {{ is_future('started_at') }} then 'future_date'
            when not has_customer or not has_converted_order then 'orphan_reference'
        end as quarantine_reason
    from checked
),

final as (
    select
        'web_sessions' as source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row,
        web_session_id,
        customer_id,
        started_at,
        device,
        pages_viewed,
        converted_order_id
    from classified
)

select * from final
