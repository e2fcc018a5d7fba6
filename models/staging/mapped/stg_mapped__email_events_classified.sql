{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('email_events') -%}
{%- set types = {'occurred_at': 'timestamp'} -%}
{%- set event_types = accepted_values('email_events', 'event_type') -%}
{%- set key = mapped_key('email_event_id') -%}

{%- set rules = [
    ('null_key', 'row_key is null', "'email_event_id is missing'"),
    ('null_key', 'campaign_send_id is null', "'campaign_send_id is missing'"),
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('email_event_id')),
    ('missing_value', 'event_type is null', "'event_type is missing'"),
    ('missing_value', 'occurred_at is null', "'occurred_at is missing'"),
    ('invalid_value', not_one_of('event_type', event_types),
        not_one_of_detail('event_type', event_types)),
    ('invalid_value', is_outside_event_dates('occurred_at'), before_earliest_detail('occurred_at')),
    ('future_date', is_future('occurred_at'), future_detail('occurred_at')),
    ('orphan_reference', 'not has_campaign_send',
        "'campaign_send_id not among the kept campaign sends'"),
    ('inconsistent', 'occurred_at < sent_at', "'occurred before its send'"),
] -%}

with

source as (
    {{ mapped_rows('email_events', fields) }}
),

campaign_sends as (
    select * from {{ ref('stg_mapped__campaign_sends') }}
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
    {{ raw_rows_to_classify('source', key, 'stored_groups_to_recheck', ['email_events']) }}
),

typed as (
    select
        {{ key_group(key) }} as key_group,
        {{ clean_text('email_event_id') }} as row_key,
        {{ key }} as email_event_id,
        {{ mapped_key('campaign_send_id') }} as campaign_send_id,
        lower({{ clean_text('event_type') }}) as event_type,
        {{ parsed('email_events', 'occurred_at', 'timestamp') }} as occurred_at,
        cast(null as double) as row_amount,
        {{ unparseable_fields('email_events', types) }} as has_unparseable_value,
        {{ unparseable_detail('email_events', types) }} as unparseable_detail,
        {{ row_hash('batch', ['email_events']) }} as row_hash,
        batch as raw_struct
    from batch
),

counted as (
    {{ with_copy_counts('typed', 'email_event_id') }}
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
    {{ classify_rows('checked', rules) }}
),

final as (
    select
        'email_events' as source_table,
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        email_event_id,
        campaign_send_id,
        event_type,
        occurred_at
    from classified
)

select * from final
