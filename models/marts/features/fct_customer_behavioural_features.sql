{#- The behavioural columns of int_customer_features_combined: its published face. -#}

with

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

final as (
    select
        customer_id,
        as_of_date,
        recency_days,
        order_count,
        kept_order_count,
        returned_order_count,
        discounted_order_count,
        monetary_value,
        average_order_value,
        mean_days_between_orders,
        first_order_date,
        last_order_date,
        discounted_order_share,
        discount_amount_share,
        return_rate,
        distinct_category_count,
        top_category,
        web_order_share,
        app_order_share,
        store_order_share,
        email_delivered_count,
        email_opened_count,
        email_clicked_count,
        email_open_rate,
        email_click_rate,
        has_unsubscribed,
        session_count,
        converted_session_count,
        session_conversion_rate,
        latest_nps_score,
        latest_satisfaction_score
    from customer_features
)

select * from final
