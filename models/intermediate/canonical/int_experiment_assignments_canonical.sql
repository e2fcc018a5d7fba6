{#-
    The selected source system's experiment assignments, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
-- Online Retail II has no experiments: an empty relation with the same columns.
source as (
    select
        cast(null as bigint) as experiment_assignment_id,
        cast(null as varchar) as experiment_name,
        cast(null as bigint) as customer_id,
        cast(null as varchar) as variant,
        cast(null as timestamp) as assigned_at
    where false
),
{% else %}
source as (
    select * from {{ ref('stg_shop__experiment_assignments') }}
),
{% endif %}

final as (
    select
        cast(experiment_assignment_id as bigint) as experiment_assignment_id,
        cast(experiment_name as varchar) as experiment_name,
        cast(customer_id as bigint) as customer_id,
        cast(variant as varchar) as variant,
        cast(assigned_at as timestamp) as assigned_at
    from source
)

select * from final
