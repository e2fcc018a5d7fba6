with

assignments as (
    select * from {{ ref('int_customer_segments_assigned') }}
),

model_runs as (
    select * from {{ ref('fct_segment_model_runs') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

final as (
    select
        assignments.customer_id,
        cast(assignments.segment_id as integer) as segment_id,
        cast(assignments.distance_to_centroid as double) as distance_to_centroid,
        as_of_dates.as_of_date,
        model_runs._model_version
    from assignments
    cross join as_of_dates
    cross join model_runs
)

select * from final
