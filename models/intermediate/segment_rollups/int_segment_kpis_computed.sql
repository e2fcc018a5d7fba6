with

memberships as (
    select * from {{ ref('int_customer_segment_memberships') }}
),

features as (
    select * from {{ ref('int_customer_features_combined') }}
),

segments as (
    select * from {{ ref('int_segments_named') }}
),

campaign_sends as (
    select * from {{ ref('int_campaign_sends_aggregated_to_customers') }}
),

lifetime_values as (
    select * from {{ ref('int_customer_lifetime_values_completed') }}
),

per_segment as (
    select
        memberships.segmentation,
        memberships.segment_id,
        any_value(memberships.as_of_date) as as_of_date,
        any_value(memberships._model_version) as _model_version,
        count(*) as customer_count,
        sum(features.monetary_value) as revenue,
        sum(features.order_count) as order_count,
        sum(features.kept_order_count) as kept_order_count,
        count(*) filter (where features.order_count >= 1) as purchasing_customer_count,
        count(*) filter (where features.order_count >= 2) as repeat_customer_count,
        sum(features.email_delivered_count) as email_delivered_count,
        sum(features.email_opened_count) as email_opened_count,
        sum(features.email_clicked_count) as email_clicked_count,
        sum(features.session_count) as session_count,
        sum(features.converted_session_count) as converted_session_count,
        count(features.latest_nps_score) as nps_respondent_count,
        avg(features.latest_nps_score) as average_nps_score,
        count(*) filter (where features.latest_nps_score >= 9) as promoter_count,
        count(*) filter (where features.latest_nps_score <= 6) as detractor_count,
        coalesce(sum(campaign_sends.closed_send_count), 0) as closed_send_count,
        coalesce(sum(campaign_sends.converted_send_count), 0) as converted_send_count,
        count(lifetime_values.predicted_clv) as predicted_customer_count,
        avg(lifetime_values.predicted_clv) as predicted_clv_mean,
        median(lifetime_values.predicted_clv) as predicted_clv_median,
        sum(lifetime_values.predicted_clv) as predicted_clv_total,
        count(*) filter (where lifetime_values.is_likely_churned) as likely_churned_count
    from memberships
    inner join features on memberships.customer_id = features.customer_id
    left join campaign_sends on memberships.customer_id = campaign_sends.customer_id
    left join lifetime_values on memberships.customer_id = lifetime_values.customer_id
    group by all
),

per_segment_with_totals as (
    select
        *,
        sum(customer_count) over (partition by segmentation) as segmentation_customer_count,
        sum(revenue) over (partition by segmentation) as segmentation_revenue
    from per_segment
),

final as (
    select
        cast(per_segment.segmentation as varchar) as segmentation,
        cast(per_segment.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(per_segment.as_of_date as date) as as_of_date,
        cast(per_segment.customer_count as bigint) as customer_count,
        cast(
            {{ safe_divide('customer_count', 'segmentation_customer_count') }} as double
        ) as customer_share,
        cast(per_segment.revenue as decimal(18, 2)) as revenue,
        cast(
            {{ safe_divide('revenue', 'segmentation_revenue') }} as double
        ) as revenue_share,
        cast(per_segment.order_count as bigint) as order_count,
        cast(
            {{ safe_divide('revenue', 'kept_order_count') }} as decimal(18, 2)
        ) as average_order_value,
        cast({{ safe_divide('order_count', 'customer_count') }} as double) as orders_per_customer,
        cast(
            {{ safe_divide('repeat_customer_count', 'purchasing_customer_count') }} as double
        ) as repeat_purchase_rate,
        cast(
            {{ safe_divide('email_opened_count', 'email_delivered_count') }} as double
        ) as email_open_rate,
        cast(
            {{ safe_divide('email_clicked_count', 'email_delivered_count') }} as double
        ) as email_click_through_rate,
        cast(
            {{ safe_divide('converted_session_count', 'session_count') }} as double
        ) as session_conversion_rate,
        cast(per_segment.closed_send_count as bigint) as closed_send_count,
        cast(
            {{ safe_divide('converted_send_count', 'closed_send_count') }} as double
        ) as send_conversion_rate,
        cast(per_segment.predicted_clv_mean as decimal(18, 2)) as predicted_clv_mean,
        cast(per_segment.predicted_clv_median as decimal(18, 2)) as predicted_clv_median,
        cast(per_segment.predicted_clv_total as decimal(18, 2)) as predicted_clv_total,
        cast(
            {{ safe_divide('likely_churned_count', 'predicted_customer_count') }} as double
        ) as likely_churned_share,
        cast(per_segment.average_nps_score as double) as average_nps_score,
        cast(
            100.0 * {{ safe_divide('promoter_count - detractor_count', 'nps_respondent_count') }}
            as double
        ) as net_promoter_score,
        cast(per_segment.nps_respondent_count as bigint) as nps_respondent_count,
        cast(per_segment._model_version as varchar) as _model_version
    from per_segment_with_totals as per_segment
    left join segments
        on
            per_segment.segmentation = segments.segmentation
            and per_segment.segment_id = segments.segment_id
)

select * from final
