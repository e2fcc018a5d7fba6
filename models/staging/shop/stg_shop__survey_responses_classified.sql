with

source as (
    select * from {{ source('shop', 'survey_responses') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

typed as (
    select
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as survey_response_id,
        try_cast(customer_id as bigint) as customer_id,
        try_cast(responded_at as timestamp) as responded_at,
        try_cast(nps_score as integer) as nps_score,
        try_cast(satisfaction_score as integer) as satisfaction_score,
        cast(null as double) as row_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'customer_id': 'bigint',
            'responded_at': 'timestamp',
            'nps_score': 'integer',
            'satisfaction_score': 'integer',
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
        customers.customer_id is not null as has_customer
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
            when responded_at is null then 'missing_value'
            when
                nps_score not between 0 and 10
                or satisfaction_score not between 1 and 5
                or {{ is_outside_event_dates('responded_at') }}
                then 'invalid_value'
            when {{ is_future('responded_at') }} then 'future_date'
            when not has_customer then 'orphan_reference'
        end as quarantine_reason
    from checked
),

final as (
    select
        'survey_responses' as source_table,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        survey_response_id,
        customer_id,
        responded_at,
        nps_score,
        satisfaction_score
    from classified
)

select * from final
