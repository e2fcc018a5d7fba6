with

source as (
    select * from {{ source('shop', 'campaigns') }}
),

typed as (
    select
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as campaign_id,
        {{ clean_text('name') }} as campaign_name,
        lower({{ clean_text('channel') }}) as channel,
        try_cast(start_date as date) as start_date,
        try_cast(end_date as date) as end_date,
        try_cast(cost as decimal(18, 2)) as cost,
        try_cast(cost as double) as row_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'start_date': 'date',
            'end_date': 'date',
            'cost': 'decimal(18, 2)',
        }) }} as has_unparseable_value,
        {{ key_row_count('try_cast(id as bigint)') }},
        source as raw_struct
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
            when channel is null or start_date is null then 'missing_value'
            when
                channel not in ('email', 'sms', 'push')
                or cost < 0
                or {{ is_outside_event_dates('start_date') }}
                then 'invalid_value'
            when {{ is_future('start_date') }} then 'future_date'
            when end_date < start_date then 'inconsistent'
        end as quarantine_reason
    from counted
),

final as (
    select
        'campaigns' as source_table,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        campaign_id,
        campaign_name,
        channel,
        start_date,
        end_date,
        cost
    from classified
)

select * from final
