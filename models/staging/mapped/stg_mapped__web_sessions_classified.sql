{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('web_sessions') -%}
{%- set types = {'started_at': 'timestamp', 'pages_viewed': 'integer'} -%}
{%- set devices = accepted_values('web_sessions', 'device') -%}
{%- set key = mapped_key('web_session_id') -%}

{%- set rules = [
    ('null_key', 'row_key is null', "'web_session_id is missing'"),
    ('null_key', 'customer_id is null', "'customer_id is missing'"),
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('web_session_id')),
    ('missing_value', 'started_at is null', "'started_at is missing'"),
] -%}
{%- do rules.extend(missing_value_rules('web_sessions', ['pages_viewed'])) -%}
{%- do rules.extend([
    ('invalid_value', not_one_of('device', devices), not_one_of_detail('device', devices)),
    ('invalid_value', 'pages_viewed < 0', "'pages_viewed is negative'"),
    ('invalid_value', 'pages_viewed > ' ~ setting('quarantine_max_pages_viewed'),
        "'pages_viewed above quarantine_max_pages_viewed "
        ~ setting('quarantine_max_pages_viewed') ~ "'"),
    ('invalid_value', is_outside_event_dates('started_at'), before_earliest_detail('started_at')),
    ('future_date', is_future('started_at'), future_detail('started_at')),
    ('orphan_reference', 'not has_customer', "'customer_id not among the kept customers'"),
    ('orphan_reference', 'not has_converted_order',
        "'converted_order_id not among the kept orders'"),
]) -%}

with

-- After the order lines, never beside them: the first build of each classifies every raw row,
-- and at 10M customers (about 100M rows each) their spills to disk side by side passed 55 GB
-- (docs/benchmark.md). A daily build classifies only the new rows, so the wait costs little.
-- depends_on: {{ ref('stg_mapped__order_lines_classified') }}
source as (
    {{ mapped_rows('web_sessions', fields) }}
),

customers as (
    select * from {{ ref('stg_mapped__customers') }}
),

orders as (
    select * from {{ ref('stg_mapped__orders') }}
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
    {{ raw_rows_to_classify('source', key, 'stored_groups_to_recheck', ['web_sessions']) }}
),

typed as (
    select
        {{ key_group(key) }} as key_group,
        {{ clean_text('web_session_id') }} as row_key,
        {{ key }} as web_session_id,
        {{ mapped_key('customer_id') }} as customer_id,
        {{ parsed('web_sessions', 'started_at', 'timestamp') }} as started_at,
        lower({{ clean_text('device') }}) as device,
        {{ parsed('web_sessions', 'pages_viewed', 'integer') }} as pages_viewed,
        {{ mapped_key('converted_order_id') }} as converted_order_id,
        cast(null as double) as row_amount,
        {{ unparseable_fields('web_sessions', types) }} as has_unparseable_value,
        {{ unparseable_detail('web_sessions', types) }} as unparseable_detail,
        {{ row_hash('batch', ['web_sessions']) }} as row_hash,
        batch as raw_struct
    from batch
),

counted as (
    {{ with_copy_counts('typed', 'web_session_id') }}
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
    {{ classify_rows('checked', rules) }}
),

final as (
    select
        'web_sessions' as source_table,
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        quarantine_detail,
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
