with

cohort_months as (
    select * from {{ ref('int_customers_aggregated_to_segment_cohorts') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

retention as (
    select
        cast(cohort_months.segmentation as varchar) as segmentation,
        cast(cohort_months.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(cohort_months.acquisition_month as date) as acquisition_month,
        cast(cohort_months.months_since_acquisition as integer) as months_since_acquisition,
        cast(cohort_months.activity_month as date) as activity_month,
        cast(cohort_months.as_of_date as date) as as_of_date,
        cast(cohort_months.cohort_customer_count as bigint) as cohort_customer_count,
        cast(cohort_months.active_customer_count as bigint) as active_customer_count,
        cast(
            {{ safe_divide(
                'cohort_months.active_customer_count', 'cohort_months.cohort_customer_count'
            ) }} as double
        ) as retention_rate
    from cohort_months
    left join segments
        on
            cohort_months.segmentation = segments.segmentation
            and cohort_months.segment_id = segments.segment_id
),

-- The segments' cohorts of one acquisition month add up to everyone who signed up that
-- month, a total the other segmentation reveals; so a small cohort is suppressed together
-- with a complement within segmentation x acquisition month x months since acquisition.
-- Cohort sizes do not change with the month, so the same cohorts are hidden in every month.
suppressed as (
    {{ suppress_small_groups(
        'retention',
        [
            'segmentation', 'segment_id', 'segment_name', 'acquisition_month',
            'months_since_acquisition', 'activity_month', 'as_of_date',
        ],
        ['cohort_customer_count', 'active_customer_count', 'retention_rate'],
        'cohort_customer_count',
        ['segmentation', 'acquisition_month', 'months_since_acquisition'],
    ) }}
),

final as (
    select
        segmentation,
        segment_id,
        segment_name,
        acquisition_month,
        months_since_acquisition,
        activity_month,
        as_of_date,
        cohort_customer_count,
        active_customer_count,
        retention_rate,
        is_suppressed
    from suppressed
)

select * from final
