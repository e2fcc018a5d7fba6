{%- set key_columns = ['experiment_name', 'segmentation', 'segment_id', 'variant'] -%}
{#- Comparisons of an arm with control, and their published types. -#}
{%- set comparison_types = {
    'conversion_lift_absolute': 'double',
    'conversion_lift_relative': 'double',
    'conversion_lift_ci_lower': 'double',
    'conversion_lift_ci_upper': 'double',
    'conversion_p_value': 'double',
    'revenue_lift_absolute': 'decimal(18, 2)',
    'revenue_lift_relative': 'double',
    'revenue_lift_ci_lower': 'decimal(18, 2)',
    'revenue_lift_ci_upper': 'decimal(18, 2)',
    'revenue_p_value': 'double',
    'is_sample_too_small': 'boolean',
} -%}
{%- set metric_columns = [
    'customer_count',
    'conversion_count',
    'conversion_rate',
    'revenue_per_customer',
] + comparison_types.keys() | list -%}

with

experiment_results as (
    select * from {{ ref('int_experiment_results_tested') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- Segments of one variant add up to the variant's total, hence the partition.
suppressed as (
    {{ suppress_small_groups(
        'experiment_results',
        key_columns=key_columns,
        metric_columns=metric_columns,
        size_column='customer_count',
        partition_by=['experiment_name', 'segmentation', 'variant'],
    ) }}
),

-- A lift, its interval and p-value are computed from both arms, so they would reveal a
-- suppressed arm's figures: null them (and the cell's small-sample flag) on every row of an
-- (experiment, segmentation, segment) cell that has a suppressed arm.
cells_flagged as (
    select
        *,
        bool_or(is_suppressed) over (
            partition by experiment_name, segmentation, segment_id
        ) as has_suppressed_arm
    from suppressed
),

final as (
    select
        cast(cells_flagged.experiment_name as varchar) as experiment_name,
        cast(cells_flagged.segmentation as varchar) as segmentation,
        cast(cells_flagged.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(cells_flagged.variant as varchar) as variant,
        cast(cells_flagged.customer_count as bigint) as customer_count,
        cast(cells_flagged.conversion_count as bigint) as conversion_count,
        cast(cells_flagged.conversion_rate as double) as conversion_rate,
        cast(cells_flagged.revenue_per_customer as decimal(18, 2)) as revenue_per_customer,
        {%- for column, data_type in comparison_types.items() %}
        cast(
            case when not cells_flagged.has_suppressed_arm then cells_flagged.{{ column }} end
            as {{ data_type }}
        ) as {{ column }},
        {%- endfor %}
        cast(cells_flagged.is_suppressed as boolean) as is_suppressed,
        cast(as_of_dates.as_of_date as date) as as_of_date
    from cells_flagged
    cross join as_of_dates
    left join segments
        on
            cells_flagged.segmentation = segments.segmentation
            and cells_flagged.segment_id = segments.segment_id
)

select * from final
