-- Fails with each customer of the behavioural feature mart that int_customers_rfm_scored
-- drops, and each customer whose RFM scores are null when they have a kept order or set when
-- they have none.
with

features as (
    select * from {{ ref('fct_customer_behavioural_features') }}
),

rfm_scored as (
    select * from {{ ref('int_customers_rfm_scored') }}
)

select
    features.customer_id,
    features.kept_order_count,
    rfm_scored.recency_score
from features
left join rfm_scored on features.customer_id = rfm_scored.customer_id
where
    rfm_scored.customer_id is null
    or (features.kept_order_count >= 1) != (rfm_scored.recency_score is not null)
