with

source as (
    select * from {{ source('shop', 'email_events') }}
),

campaign_sends as (
    select * from {{ ref('stg_shop__campaign_sends') }}
),

{% if is_incremental() %}

stored_groups_to_recheck as (
    -- Quarantined rows may pass now (their send has arrived, their date is no longer in the
    -- future); kept rows whose send has since been quarantined must leave.
    select stored.key_group
    from {{ this }} as stored
    left join campaign_sends on stored.campaign_send_id = campaign_sends.campaign_send_id
    where stored.quarantine_reason is not null or campaign_sends.campaign_send_id is null
),

{% endif %}

batch as (
    {{ raw_rows_to_classify('source', 'try_cast(id as bigint)', 'stored_groups_to_recheck') }}
),

typed as (
    select
        {{ key_group('try_cast(id as bigint)') }} as key_group,
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as email_event_id,
        try_cast(campaign_send_id as bigint) as campaign_send_id,
        lower({{ clean_text('event_type') }}) as event_type,
        try_cast(occurred_at as timestamp) as occurred_at,
        cast(null as double) as row_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'campaign_send_id': 'bigint',
            'occurred_at': 'timestamp',
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
        campaign_sends.campaign_send_id is not null as has_campaign_send,
        campaign_sends.sent_at
    from counted
    left join campaign_sends on counted.campaign_send_id = campaign_sends.campaign_send_id
),

classified as (
    select
        *,
        case
            when row_key is null or campaign_send_id is null then 'null_key'
            when has_unparseable_value then 'unparseable_value'
            when {{ is_duplicate_key() }} then 'duplicate_key'
            when event_type is null or occurred_at is null then 'missing_value'
            when
                event_type not in ('delivered', 'opened', 'clicked', 'unsubscribed')
                or {{ is_outside_event_dates('occurred_at') }}
                then 'invalid_value'
            when {{ is_future('occurred_at') }} then 'future_date'
            when not has_campaign_send then 'orphan_reference'
            when occurred_at < sent_at then 'inconsistent'
        end as quarantine_reason
    from checked
),

final as (
    select
        'email_events' as source_table,
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        email_event_id,
        campaign_send_id,
        event_type,
        occurred_at
    from classified
)

select * from final
