with

source as (
    select * from {{ source('shop', 'campaign_sends') }}
),

campaigns as (
    select * from {{ ref('stg_shop__campaigns') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

{% if is_incremental() %}

stored_groups_to_recheck as (
    -- Quarantined rows may pass now (their customer or campaign has arrived, their date is no
    -- longer in the future); kept rows whose customer or campaign has since been quarantined
    -- must leave.
    select stored.key_group
    from {{ this }} as stored
    left join campaigns on stored.campaign_id = campaigns.campaign_id
    left join customers on stored.customer_id = customers.customer_id
    where
        stored.quarantine_reason is not null
        or campaigns.campaign_id is null
        or customers.customer_id is null
),

{% endif %}

batch as (
    {{ raw_rows_to_classify('source', 'try_cast(id as bigint)', 'stored_groups_to_recheck') }}
),

typed as (
    select
        {{ key_group('try_cast(id as bigint)') }} as key_group,
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as campaign_send_id,
        try_cast(campaign_id as bigint) as campaign_id,
        try_cast(customer_id as bigint) as customer_id,
        try_cast(sent_at as timestamp) as sent_at,
        cast(null as double) as row_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'campaign_id': 'bigint',
            'customer_id': 'bigint',
            'sent_at': 'timestamp',
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
        campaigns.campaign_id is not null as has_campaign,
        customers.customer_id is not null as has_customer,
        campaigns.start_date as campaign_start_date
    from counted
    left join campaigns on counted.campaign_id = campaigns.campaign_id
    left join customers on counted.customer_id = customers.customer_id
),

classified as (
    select
        *,
        case
            when row_key is null or campaign_id is null or customer_id is null then 'null_key'
            when has_unparseable_value then 'unparseable_value'
            when {{ is_duplicate_key() }} then 'duplicate_key'
            when sent_at is null then 'missing_value'
            when {{ is_outside_event_dates('sent_at') }} then 'invalid_value'
            when {{ is_future('sent_at') }} then 'future_date'
            when not has_campaign or not has_customer then 'orphan_reference'
            when cast(sent_at as date) < campaign_start_date then 'inconsistent'
        end as quarantine_reason
    from checked
),

final as (
    select
        'campaign_sends' as source_table,
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        campaign_send_id,
        campaign_id,
        customer_id,
        sent_at
    from classified
)

select * from final
