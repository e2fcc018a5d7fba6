{%- set metric_columns = [
    'customer_count', 'customer_share', 'revenue', 'revenue_share', 'order_count',
    'average_order_value', 'orders_per_customer', 'repeat_purchase_rate', 'email_open_rate',
    'email_click_through_rate', 'session_conversion_rate', 'closed_send_count',
    'send_conversion_rate', 'predicted_clv_mean', 'predicted_clv_median', 'predicted_clv_total',
    'likely_churned_share', 'average_nps_score', 'net_promoter_score', 'nps_respondent_count',
] -%}

with

segment_kpis as (
    select * from {{ ref('int_segment_kpis_computed') }}
),

suppressed as (
    {{ suppress_small_groups(
        'segment_kpis',
        key_columns=['segmentation', 'segment_id', 'segment_name', 'as_of_date', '_model_version'],
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
