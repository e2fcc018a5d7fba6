{#- The post-hooks drop the stored orders whose id left the raw data (an incremental build
    replaces only the groups it classifies), then stop the build when most rows are
    quarantined (check_quarantined_share). -#}
{{ config(post_hook=[
    "{{ delete_vanished_key_groups('orders', parsed('orders', 'order_id', 'key')) }}",
    "{{ check_quarantined_share() }}",
]) }}
{%- set fields = mapped_fields('orders') -%}
{%- set key = parsed('orders', 'order_id', 'key') -%}
{%- set types = {'ordered_at': 'timestamp', 'returned_at': 'timestamp'} -%}
{%- set channels = accepted_values('orders', 'channel') -%}
{%- set statuses = accepted_values('orders', 'status') -%}

{%- set rules = [
    ('null_key', 'row_key is null', "'order_id is missing'"),
    ('null_key', 'customer_id is null', "'customer_id is missing'"),
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('order_id')),
    ('missing_value', 'ordered_at is null', "'ordered_at is missing'"),
] -%}
{%- do rules.extend(missing_value_rules('orders', ['channel', 'status'])) -%}
{%- do rules.extend([
    ('invalid_value', not_one_of('channel', channels), not_one_of_detail('channel', channels)),
    ('invalid_value', not_one_of('status', statuses), not_one_of_detail('status', statuses)),
    ('invalid_value', is_outside_event_dates('ordered_at'), before_earliest_detail('ordered_at')),
    ('invalid_value', is_outside_event_dates('returned_at'), before_earliest_detail('returned_at')),
    ('future_date', is_future('ordered_at'), future_detail('ordered_at')),
    ('future_date', is_future('returned_at'), future_detail('returned_at')),
    ('orphan_reference', 'not has_customer', "'customer_id not among the kept customers'"),
    ('inconsistent', "status = 'returned' and returned_at is null",
        "'status returned without returned_at'"),
    ('inconsistent', "status != 'returned' and returned_at is not null",
        "'returned_at on an order whose status is not returned'"),
    ('inconsistent', 'returned_at < ordered_at', "'returned_at before ordered_at'"),
    ('inconsistent', 'cast(ordered_at as date) < signup_date', "'ordered before signup_date'"),
]) -%}
{#- A transaction log's order is its rows: with none a kept line it has nothing to count
    (an orders table's order keeps its row, with zero amounts and a warning). -#}
{%- set is_log = orders_are_a_log() -%}
{%- do rules.extend([
    ('invalid_value', 'not has_valid_line',
        "'no row of the order passes the order line checks (see its order_lines rows)'"),
] if is_log else []) -%}

with

source as (
    {{ mapped_rows('orders', fields) }}
),

customers as (
    select * from {{ ref('stg_mapped__customers') }}
),
{%- if is_log %}

orders_with_a_line as (
    {{ log_orders_with_a_line() | indent(4) }}
),
{%- endif %}

{% if is_incremental() %}

stored_groups_to_recheck as (
    -- Quarantined rows may pass now (their customer has arrived, their date is no longer in
    -- the future); kept rows whose customer has since been quarantined or now signs up after
    -- the order (or, in a transaction log, whose lines no longer pass) must leave. An edited
    -- row (a return recorded later) changes its group's hashes and is reclassified anyway.
    select stored.key_group
    from {{ this }} as stored
    left join customers on stored.customer_id = customers.customer_id
    {%- if is_log %}
    left join orders_with_a_line on stored.order_id = orders_with_a_line.order_id
    {%- endif %}
    where
        stored.quarantine_reason is not null
        or customers.customer_id is null
        or stored.order_date < customers.signup_date
        {%- if is_log %}
        or not coalesce(orders_with_a_line.has_valid_line, false)
        {%- endif %}
),

{% endif %}

batch as (
    {{ raw_rows_to_classify('source', key, 'stored_groups_to_recheck', ['orders']) }}
),

typed as (
    select
        {{ key_group(key) }} as key_group,
        {{ clean_text('order_id') }} as row_key,
        {{ key }} as order_id,
        {{ parsed('orders', 'customer_id', 'key') }} as customer_id,
        {{ parsed('orders', 'ordered_at', 'timestamp') }} as ordered_at,
        lower({{ clean_text('channel') }}) as channel,
        lower({{ clean_text('status') }}) as status,
        upper({{ clean_text('discount_code') }}) as discount_code,
        {{ parsed('orders', 'returned_at', 'timestamp') }} as returned_at,
        cast(null as double) as row_amount,
        {{ unparseable_fields('orders', types) }} as has_unparseable_value,
        {{ unparseable_detail('orders', types) }} as unparseable_detail,
        {{ row_hash('batch', ['orders']) }} as row_hash,
        batch as raw_struct
    from batch
),

counted as (
    {{ with_copy_counts('typed', 'order_id') }}
),

checked as (
    select
        counted.*,
        {%- if is_log %}
        coalesce(orders_with_a_line.has_valid_line, false) as has_valid_line,
        {%- endif %}
        customers.customer_id is not null as has_customer,
        customers.signup_date
    from counted
    left join customers on counted.customer_id = customers.customer_id
    {%- if is_log %}
    left join orders_with_a_line on counted.order_id = orders_with_a_line.order_id
    {%- endif %}
),

classified as (
    {{ classify_rows('checked', rules) }}
),

final as (
    select
        'orders' as source_table,
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        channel,
        status,
        discount_code,
        returned_at,
        cast(returned_at as date) as returned_date
    from classified
)

select * from final
