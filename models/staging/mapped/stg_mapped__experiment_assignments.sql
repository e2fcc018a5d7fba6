with

experiment_assignments_classified as (
    select * from {{ ref('stg_mapped__experiment_assignments_classified') }}
),

final as (
    select
        experiment_assignment_id,
        experiment_name,
        customer_id,
        variant,
        assigned_at
    from experiment_assignments_classified
    where quarantine_reason is null
)

select * from final
