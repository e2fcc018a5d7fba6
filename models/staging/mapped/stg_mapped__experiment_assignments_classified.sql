{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('experiment_assignments') -%}
{%- set types = {'assigned_at': 'timestamp'} -%}
{%- set variants = accepted_values('experiment_assignments', 'variant') -%}
{%- set key = mapped_key('experiment_assignment_id') -%}

{%- set rules = [
    ('null_key', 'row_key is null', "'experiment_assignment_id is missing'"),
    ('null_key', 'customer_id is null', "'customer_id is missing'"),
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('experiment_assignment_id')),
    ('duplicate_key', 'assignment_id_count > 1 and experiment_name is not null',
        "'customer assigned to the experiment more than once'"),
    ('missing_value', 'experiment_name is null', "'experiment_name is missing'"),
    ('missing_value', 'variant is null', "'variant is missing'"),
    ('missing_value', 'assigned_at is null', "'assigned_at is missing'"),
    ('invalid_value', not_one_of('variant', variants), not_one_of_detail('variant', variants)),
    ('invalid_value', is_outside_event_dates('assigned_at'), before_earliest_detail('assigned_at')),
    ('future_date', is_future('assigned_at'), future_detail('assigned_at')),
    ('orphan_reference', 'not has_customer', "'customer_id not among the kept customers'"),
] -%}

with

source as (
    {{ mapped_rows('experiment_assignments', fields) }}
),

customers as (
    select * from {{ ref('stg_mapped__customers') }}
),

typed as (
    select
        {{ clean_text('experiment_assignment_id') }} as row_key,
        {{ key }} as experiment_assignment_id,
        lower({{ clean_text('experiment_name') }}) as experiment_name,
        {{ mapped_key('customer_id') }} as customer_id,
        lower({{ clean_text('variant') }}) as variant,
        {{ parsed('experiment_assignments', 'assigned_at', 'timestamp') }} as assigned_at,
        cast(null as double) as row_amount,
        {{ unparseable_fields('experiment_assignments', types) }} as has_unparseable_value,
        {{ unparseable_detail('experiment_assignments', types) }} as unparseable_detail,
        -- A customer is assigned to an experiment once: the pair is a key too.
        count(distinct {{ key }}) over (
            partition by lower({{ clean_text('experiment_name') }}), {{ mapped_key('customer_id') }}
        ) as assignment_id_count,
        source as raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed', 'experiment_assignment_id') }}
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
        'experiment_assignments' as source_table,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        experiment_assignment_id,
        experiment_name,
        customer_id,
        variant,
        assigned_at
    from classified
)

select * from final
