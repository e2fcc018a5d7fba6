{#-
    One row per customer who had signed up by the as-of date: their demographics as of that
    date beside every behavioural aggregate of customer_activity. The end of this folder: the
    feature marts are its published faces, and segmentation reads its features from here.
    The mapping's customer attributes (numbers or text) follow the fixed demographic columns.
-#}

{%- set columns = demographic_feature_columns() -%}

with

customers as (
    select * from {{ ref('int_customers_canonical') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

orders as (
    select * from {{ ref('int_orders_aggregated_to_customers') }}
),

categories as (
    select * from {{ ref('int_order_lines_aggregated_to_customers') }}
),

email as (
    select * from {{ ref('int_email_events_aggregated_to_customers') }}
),

sessions as (
    select * from {{ ref('int_web_sessions_aggregated_to_customers') }}
),

surveys as (
    select * from {{ ref('int_survey_responses_aggregated_to_customers') }}
),

snapshots as (
    select * from {{ ref('int_customer_snapshots_carried_forward') }}
),

-- Only customers who had signed up by the as-of date exist at that date (a customer whose
-- source gives no signup date, such as a snapshot without one, always does).
customers_as_of as (
    select
        customers.*,
        as_of_dates.as_of_date,
        {{ whole_years_between('customers.birth_date', 'as_of_dates.as_of_date') }} as age_years
    from customers
    cross join as_of_dates
    where coalesce(customers.signup_date <= as_of_dates.as_of_date, true)
),

-- The demographic columns themselves are listed once, in demographic_feature_columns().
demographics as (
    select
        customers_as_of.*,
        coalesce(age_bands.age_band, 'unknown') as age_band,
        customers_as_of.as_of_date - customers_as_of.signup_date as tenure_days
    from customers_as_of
    left join age_bands
        on customers_as_of.age_years between age_bands.min_age and age_bands.max_age
),

-- Counts and money are 0 for customers with no activity; rates and recency stay null because
-- they are undefined without activity, not zero. A customer snapshot (a source with
-- precomputed behaviour instead of orders) stands in for the orders.
behaviours as (
    select
        demographics.customer_id,
        demographics.as_of_date,
        coalesce(orders.recency_days, snapshots.recency_days) as recency_days,
        coalesce(orders.order_count, snapshots.order_count, 0) as order_count,
        coalesce(orders.kept_order_count, snapshots.kept_order_count, 0) as kept_order_count,
        coalesce(orders.returned_order_count, snapshots.returned_order_count, 0)
            as returned_order_count,
        coalesce(orders.discounted_order_count, snapshots.discounted_order_count, 0)
            as discounted_order_count,
        coalesce(orders.net_revenue, snapshots.monetary_value, 0) as monetary_value,
        coalesce(
            orders.average_order_value,
            {{ safe_divide('snapshots.monetary_value', 'snapshots.kept_order_count') }}
        ) as average_order_value,
        orders.mean_days_between_orders,
        orders.first_order_date,
        coalesce(orders.last_order_date, snapshots.last_order_date) as last_order_date,
        coalesce(
            orders.discounted_order_share,
            {{ safe_divide('snapshots.discounted_order_count', 'snapshots.order_count') }}
        ) as discounted_order_share,
        orders.discount_amount_share,
        coalesce(
            orders.return_rate,
            {{ safe_divide('snapshots.returned_order_count', 'snapshots.order_count') }}
        ) as return_rate,
        coalesce(categories.distinct_category_count, 0) as distinct_category_count,
        categories.top_category,
        coalesce(
            orders.web_order_share,
            {{ safe_divide('snapshots.web_order_count', 'snapshots.order_count') }}
        ) as web_order_share,
        coalesce(
            orders.app_order_share,
            {{ safe_divide('snapshots.app_order_count', 'snapshots.order_count') }}
        ) as app_order_share,
        coalesce(
            orders.store_order_share,
            {{ safe_divide('snapshots.store_order_count', 'snapshots.order_count') }}
        ) as store_order_share,
        coalesce(email.email_delivered_count, 0) as email_delivered_count,
        coalesce(email.email_opened_count, 0) as email_opened_count,
        coalesce(email.email_clicked_count, 0) as email_clicked_count,
        email.email_open_rate,
        email.email_click_rate,
        coalesce(email.has_unsubscribed, false) as has_unsubscribed,
        coalesce(sessions.session_count, 0) as session_count,
        coalesce(sessions.converted_session_count, 0) as converted_session_count,
        sessions.session_conversion_rate,
        surveys.latest_nps_score,
        surveys.latest_satisfaction_score
    from demographics
    left join orders on demographics.customer_id = orders.customer_id
    left join categories on demographics.customer_id = categories.customer_id
    left join email on demographics.customer_id = email.customer_id
    left join sessions on demographics.customer_id = sessions.customer_id
    left join surveys on demographics.customer_id = surveys.customer_id
    left join snapshots on demographics.customer_id = snapshots.customer_id
),

final as (
    select
        behaviours.*,
        {%- for column in columns[:-1] %}
        demographics.{{ column }},
        {%- endfor %}
        demographics.{{ columns[-1] }}
    from behaviours
    inner join demographics
        on
            behaviours.customer_id = demographics.customer_id
            and behaviours.as_of_date = demographics.as_of_date
)

select * from final
