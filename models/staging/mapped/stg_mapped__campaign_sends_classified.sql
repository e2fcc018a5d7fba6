{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('campaign_sends') -%}
{#- Sends carry sent_at; campaign responses (is_response) their responded_at in its place,
    each read with its own table's format. -#}
{%- set send_time = parse_value('sent_at', 'timestamp', field_spec('campaign_sends', 'sent_at')) -%}
{%- set response_time = parse_value(
    'sent_at', 'timestamp', field_spec('campaign_responses', 'responded_at')
) -%}
{%- set sent_at = 'case when is_response then ' ~ response_time ~ ' else ' ~ send_time ~ ' end' -%}
{%- set key = mapped_key('campaign_send_id') -%}

{%- set rules = [
    ('null_key', 'row_key is null', "'campaign_send_id is missing'"),
    ('null_key', 'campaign_id is null', "'campaign_id is missing'"),
    ('null_key', 'customer_id is null', "'customer_id is missing'"),
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('campaign_send_id')),
    ('missing_value', 'sent_at is null and not is_response', "'sent_at is missing'"),
    ('missing_value', 'is_accepted is null and is_response', "'is_accepted is missing'"),
    ('invalid_value', is_outside_event_dates('sent_at'), before_earliest_detail('sent_at')),
    ('future_date', is_future('sent_at'), future_detail('sent_at')),
    ('orphan_reference', 'not has_campaign', "'campaign_id not among the kept campaigns'"),
    ('orphan_reference', 'not has_customer', "'customer_id not among the kept customers'"),
    ('inconsistent', 'cast(sent_at as date) < campaign_start_date',
        "'sent before its campaign started'"),
] -%}

with

source as (
    {{ mapped_rows('campaign_sends', fields) }}
),

campaigns as (
    select * from {{ ref('stg_mapped__campaigns') }}
),

customers as (
    select * from {{ ref('stg_mapped__customers') }}
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
    {{ raw_rows_to_classify(
        'source', key, 'stored_groups_to_recheck', ['campaign_sends', 'campaign_responses']
    ) }}
),

typed as (
    select
        {{ key_group(key) }} as key_group,
        {{ clean_text('campaign_send_id') }} as row_key,
        {{ key }} as campaign_send_id,
        {{ mapped_key('campaign_id') }} as campaign_id,
        {{ mapped_key('customer_id') }} as customer_id,
        {{ sent_at }} as sent_at,
        {{ parse_value('is_accepted', 'boolean') }} as is_accepted,
        is_response,
        cast(null as double) as row_amount,
        (
            (sent_at is not null and {{ sent_at }} is null)
            or {{ is_unparseable('is_accepted', 'boolean') }}
        ) as has_unparseable_value,
        case
            when sent_at is not null and {{ sent_at }} is null
                then 'sent_at does not parse as timestamp'
            else 'is_accepted does not parse as boolean'
        end as unparseable_detail,
        {{ row_hash('batch', ['campaign_sends', 'campaign_responses']) }} as row_hash,
        batch as raw_struct
    from batch
),

counted as (
    {{ with_copy_counts('typed', 'campaign_send_id') }}
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
    {{ classify_rows('checked', rules) }}
),

final as (
    select
        -- Responses are counted as the raw table they come from.
        case when is_response then 'campaign_responses' else 'campaign_sends' end as source_table,
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        campaign_send_id,
        campaign_id,
        customer_id,
        sent_at,
        is_accepted,
        is_response
    from classified
)

select * from final
