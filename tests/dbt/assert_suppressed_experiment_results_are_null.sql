-- Fails with each fct_experiment_segment_results row that publishes a figure it must not: a
-- suppressed row with any metric, a row whose segment has a suppressed arm with a lift,
-- p-value or small-sample flag (they are computed from both arms), or a row of a segment
-- without a suppressed arm that lacks its small-sample flag.
with

experiment_results as (
    select * from {{ ref('fct_experiment_segment_results') }}
),

cells_flagged as (
    select
        *,
        bool_or(is_suppressed) over (
            partition by experiment_name, segmentation, segment_id
        ) as has_suppressed_arm
    from experiment_results
),

checked as (
    select
        *,
        (
            conversion_lift_absolute is not null
            or conversion_lift_relative is not null
            or conversion_lift_ci_lower is not null
            or conversion_lift_ci_upper is not null
            or conversion_p_value is not null
            or revenue_lift_absolute is not null
            or revenue_lift_relative is not null
            or revenue_lift_ci_lower is not null
            or revenue_lift_ci_upper is not null
            or revenue_p_value is not null
            or is_sample_too_small is not null
        ) as has_comparison,
        (
            customer_count is not null
            or conversion_count is not null
            or conversion_rate is not null
            or revenue_per_customer is not null
        ) as has_own_metric
    from cells_flagged
)

select *
from checked
where
    (is_suppressed and (has_own_metric or has_comparison))
    or (has_suppressed_arm and has_comparison)
    or (not has_suppressed_arm and is_sample_too_small is null)
