{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('survey_responses') -%}
{%- set types = {
    'responded_at': 'timestamp', 'nps_score': 'integer', 'satisfaction_score': 'integer',
} -%}

{%- set rules = [
    ('null_key', 'row_key is null', "'survey_response_id is missing'"),
    ('null_key', 'customer_id is null', "'customer_id is missing'"),
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('survey_response_id')),
    ('missing_value', 'responded_at is null', "'responded_at is missing'"),
    ('invalid_value', 'nps_score not between 0 and 10', "'nps_score outside 0-10'"),
    ('invalid_value', 'satisfaction_score not between 1 and 5', "'satisfaction_score outside 1-5'"),
    ('invalid_value', is_outside_event_dates('responded_at'),
        before_earliest_detail('responded_at')),
    ('future_date', is_future('responded_at'), future_detail('responded_at')),
    ('orphan_reference', 'not has_customer', "'customer_id not among the kept customers'"),
] -%}

with

source as (
    {{ mapped_rows('survey_responses', fields) }}
),

customers as (
    select * from {{ ref('stg_mapped__customers') }}
),

typed as (
    select
        {{ clean_text('survey_response_id') }} as row_key,
        {{ mapped_key('survey_response_id') }} as survey_response_id,
        {{ mapped_key('customer_id') }} as customer_id,
        {{ parsed('survey_responses', 'responded_at', 'timestamp') }} as responded_at,
        {{ parsed('survey_responses', 'nps_score', 'integer') }} as nps_score,
        {{ parsed('survey_responses', 'satisfaction_score', 'integer') }} as satisfaction_score,
        cast(null as double) as row_amount,
        {{ unparseable_fields('survey_responses', types) }} as has_unparseable_value,
        {{ unparseable_detail('survey_responses', types) }} as unparseable_detail,
        source as raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed', 'survey_response_id') }}
),

checked as (
    select
        counted.*,
        customers.customer_id is not null as has_customer
    from counted
    left join customers on counted.customer_id = customers.customer_id
),

classified as (
    {{ classify_rows('checked', rules) }}
),

final as (
    select
        'survey_responses' as source_table,
        row_key,
        quarantine_reason,
        quarantine_detail,
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
