with

heterogeneity as (
    select * from {{ ref('int_experiment_heterogeneity_tested') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

final as (
    select
        cast(heterogeneity.experiment_name as varchar) as experiment_name,
        cast(heterogeneity.segmentation as varchar) as segmentation,
        cast(heterogeneity.variant as varchar) as variant,
        cast(heterogeneity.metric as varchar) as metric,
        cast(heterogeneity.segment_count as integer) as segment_count,
        cast(heterogeneity.used_segment_count as integer) as used_segment_count,
        cast(heterogeneity.suppressed_segment_count as integer) as suppressed_segment_count,
        cast(heterogeneity.undefined_segment_count as integer) as undefined_segment_count,
        cast(heterogeneity.pooled_lift_absolute as double) as pooled_lift_absolute,
        cast(heterogeneity.pooled_lift_standard_error as double) as pooled_lift_standard_error,
        cast(heterogeneity.cochran_q as double) as cochran_q,
        cast(heterogeneity.degrees_of_freedom as integer) as degrees_of_freedom,
        cast(heterogeneity.p_value as double) as p_value,
        cast(heterogeneity.i_squared as double) as i_squared,
        cast(as_of_dates.as_of_date as date) as as_of_date
    from heterogeneity
    cross join as_of_dates
)

select * from final
