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

typed as (
    select
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
        {{ duplicate_key_counts(['try_cast(id as bigint)']) }},
        to_json(source) as raw_row
    from source
),

checked as (
    select
        typed.*,
        campaigns.campaign_id is not null as has_campaign,
        customers.customer_id is not null as has_customer,
        campaigns.start_date as campaign_start_date
    from typed
    left join campaigns on typed.campaign_id = campaigns.campaign_id
    left join customers on typed.customer_id = customers.customer_id
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
        row_key,
        quarantine_reason,
        row_amount,
        raw_row,
        campaign_send_id,
        campaign_id,
        customer_id,
        sent_at
    from classified
)

select * from final
