with

memberships as (
    select * from {{ ref('dim_customer_segments') }}
),

features as (
    select * from {{ ref('fct_customer_behavioural_features') }}
),

per_segment as (
    select
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
        count(*) filter (where features.latest_nps_score <= 6) as detractor_count
    from memberships
    inner join features on memberships.customer_id = features.customer_id
    group by all
),

final as (
    select
        cast(segment_id as integer) as segment_id,
        cast(as_of_date as date) as as_of_date,
        cast(customer_count as bigint) as customer_count,
        cast(
            {{ safe_divide('customer_count', 'sum(customer_count) over ()') }} as double
        ) as customer_share,
        cast(revenue as decimal(18, 2)) as revenue,
        cast({{ safe_divide('revenue', 'sum(revenue) over ()') }} as double) as revenue_share,
        cast(order_count as bigint) as order_count,
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
        cast(average_nps_score as double) as average_nps_score,
        cast(
            100.0 * {{ safe_divide('promoter_count - detractor_count', 'nps_respondent_count') }}
            as double
        ) as net_promoter_score,
        cast(nps_respondent_count as bigint) as nps_respondent_count,
        cast(_model_version as varchar) as _model_version
    from per_segment
)

select * from final
