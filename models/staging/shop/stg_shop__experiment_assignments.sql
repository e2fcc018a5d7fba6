with

source as (
    select * from {{ source('shop', 'experiment_assignments') }}
),

renamed as (
    select
        cast(id as bigint) as experiment_assignment_id,
        lower(trim(experiment_name)) as experiment_name,
        cast(customer_id as bigint) as customer_id,
        lower(trim(variant)) as variant,
        cast(assigned_at as timestamp) as assigned_at
    from source
)

select * from renamed
