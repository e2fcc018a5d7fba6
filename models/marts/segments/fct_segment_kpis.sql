{%- set key_columns = [
    'segmentation', 'segment_id', 'segment_name', 'as_of_date', '_model_version'
] -%}
{#- The metrics are every other column of this mart's contract (fct_segment_kpis.yml), so a KPI
    is computed in int_segment_kpis_computed and documented in that yml, nowhere else. -#}
{%- set metric_columns = model.columns.keys()
    | reject('in', key_columns + ['is_suppressed']) | list -%}

with

segment_kpis as (
    select * from {{ ref('int_segment_kpis_computed') }}
),

suppressed as (
    {{ suppress_small_groups(
        'segment_kpis',
        key_columns=key_columns,
        metric_columns=metric_columns,
        size_column='customer_count',
        partition_by=['segmentation'],
    ) }}
),

final as (
    select
        segmentation,
        segment_id,
        segment_name,
        as_of_date,
        {%- for column in metric_columns %}
        {{ column }},
        {%- endfor %}
        is_suppressed,
        _model_version
    from suppressed
)

select * from final
