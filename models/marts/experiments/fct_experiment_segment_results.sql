{#- Comparisons of an arm with control, and their published types. -#}
{%- set comparison_types = {
    'conversion_lift_absolute': 'double',
    'conversion_lift_relative': 'double',
    'conversion_lift_ci_lower': 'double',
    'conversion_lift_ci_upper': 'double',
    'conversion_p_value': 'double',
    'conversion_p_value_adjusted': 'double',
    'revenue_lift_absolute': 'decimal(18, 2)',
    'revenue_lift_relative': 'double',
    'revenue_lift_ci_lower': 'decimal(18, 2)',
    'revenue_lift_ci_upper': 'decimal(18, 2)',
    'revenue_p_value': 'double',
    'revenue_p_value_adjusted': 'double',
    'is_sample_too_small': 'boolean',
} -%}

with

experiment_results as (
    select * from {{ ref('int_experiment_results_suppressed') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- One family per experiment, segmentation, variant and metric: the segments' p-values of
-- that variant against control that are published (suppressed and undefined ones are null
-- and left out). Control rows have no p-value.
adjusted as (
    {{ adjust_p_values_benjamini_hochberg(
        'experiment_results',
        p_value_columns=['conversion_p_value', 'revenue_p_value'],
        partition_by=['experiment_name', 'segmentation', 'variant'],
    ) }}
),

final as (
    select
        cast(adjusted.experiment_name as varchar) as experiment_name,
        cast(adjusted.segmentation as varchar) as segmentation,
        cast(adjusted.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(adjusted.variant as varchar) as variant,
        cast(adjusted.customer_count as bigint) as customer_count,
        cast(adjusted.conversion_count as bigint) as conversion_count,
        cast(adjusted.conversion_rate as double) as conversion_rate,
        cast(adjusted.revenue_per_customer as decimal(18, 2)) as revenue_per_customer,
        {%- for column, data_type in comparison_types.items() %}
        cast(adjusted.{{ column }} as {{ data_type }}) as {{ column }},
        {%- endfor %}
        cast(adjusted.is_suppressed as boolean) as is_suppressed,
        cast(as_of_dates.as_of_date as date) as as_of_date
    from adjusted
    cross join as_of_dates
    left join segments
        on
            adjusted.segmentation = segments.segmentation
            and adjusted.segment_id = segments.segment_id
)

select * from final
