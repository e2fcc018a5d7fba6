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

{% if is_incremental() %}

stored_groups_to_recheck as (
    -- Quarantined rows may pass now (their customer or order has arrived, their date is no
    -- longer in the future); kept rows whose customer or order has since been quarantined
    -- must leave.
    select stored.key_group
    from {{ this }} as stored
    left join customers on stored.customer_id = customers.customer_id
    left join orders on stored.converted_order_id = orders.order_id
    where
        stored.quarantine_reason is not null
        or customers.customer_id is null
        or (stored.converted_order_id is not null and orders.order_id is null)
),

{% endif %}

batch as (
    {{ raw_rows_to_classify('source', 'try_cast(id as bigint)', 'stored_groups_to_recheck') }}
),

typed as (
    select
        {{ key_group('try_cast(id as bigint)') }} as key_group,
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
        {{ key_row_count('try_cast(id as bigint)') }},
        hash(batch) as row_hash,
        batch as raw_struct
    from batch
),

counted as (
    {{ with_copy_counts('typed') }}
),

checked as (
    select
        counted.*,
        customers.customer_id is not null as has_customer,
        counted.converted_order_id is null or orders.order_id is not null as has_converted_order
    from counted
    left join customers on counted.customer_id = customers.customer_id
    left join orders on counted.converted_order_id = orders.order_id
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
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        web_session_id,
        customer_id,
        started_at,
        device,
        pages_viewed,
        converted_order_id
    from classified
)

select * from final
