with

source as (
    select * from {{ source('shop', 'experiment_assignments') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

typed as (
    select
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as experiment_assignment_id,
        lower({{ clean_text('experiment_name') }}) as experiment_name,
        try_cast(customer_id as bigint) as customer_id,
        lower({{ clean_text('variant') }}) as variant,
        try_cast(assigned_at as timestamp) as assigned_at,
        cast(null as double) as row_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'customer_id': 'bigint',
            'assigned_at': 'timestamp',
        }) }} as has_unparseable_value,
        {{ key_row_count('try_cast(id as bigint)') }},
        -- A customer is assigned to an experiment once: the pair is a key too.
        count(distinct try_cast(id as bigint)) over (
            partition by lower({{ clean_text('experiment_name') }}), try_cast(customer_id as bigint)
        ) as assignment_id_count,
        source as raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed') }}
),

checked as (
    select
        counted.*,
        customers.customer_id is not null as has_customer
    from counted
    left join customers on counted.customer_id = customers.customer_id
),

classified as (
    select
        *,
        case
            when row_key is null or customer_id is null then 'null_key'
            when has_unparseable_value then 'unparseable_value'
            when
                {{ is_duplicate_key() }}
                or (assignment_id_count > 1 and experiment_name is not null)
                then 'duplicate_key'
            when experiment_name is null or variant is null or assigned_at is null
                then 'missing_value'
            when
                variant not in ('control', 'treatment')
                or {{ is_outside_event_dates('assigned_at') }}
                then 'invalid_value'
            when {{ is_future('assigned_at') }} then 'future_date'
            when not has_customer then 'orphan_reference'
        end as quarantine_reason
    from checked
),

final as (
    select
        'experiment_assignments' as source_table,
        row_key,
        quarantine_reason,
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
