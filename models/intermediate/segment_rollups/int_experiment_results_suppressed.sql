{%- set key_columns = ['experiment_name', 'segmentation', 'segment_id', 'variant', 'is_control'] -%}
{#- Comparisons of an arm with control: computed from both arms. -#}
{%- set comparison_columns = [
    'conversion_lift_absolute',
    'conversion_lift_relative',
    'conversion_lift_ci_lower',
    'conversion_lift_ci_upper',
    'conversion_lift_standard_error',
    'conversion_p_value',
    'revenue_lift_absolute',
    'revenue_lift_relative',
    'revenue_lift_ci_lower',
    'revenue_lift_ci_upper',
    'revenue_lift_standard_error',
    'revenue_p_value',
    'is_sample_too_small',
] -%}
{%- set metric_columns = [
    'customer_count',
    'conversion_count',
    'conversion_rate',
    'revenue_per_customer',
] + comparison_columns -%}

with

experiment_results as (
    select * from {{ ref('int_experiment_results_tested') }}
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
        {%- for column in key_columns %}
        {{ column }},
        {%- endfor %}
        customer_count,
        conversion_count,
        conversion_rate,
        revenue_per_customer,
        {%- for column in comparison_columns %}
        case when not has_suppressed_arm then {{ column }} end as {{ column }},
        {%- endfor %}
        is_suppressed,
        has_suppressed_arm
    from cells_flagged
)

select * from final
