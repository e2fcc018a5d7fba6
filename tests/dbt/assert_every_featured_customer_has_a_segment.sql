-- Fails with each customer in the feature mart that has no RFM segment, or no k-means
-- segment while a segment model is current (uniqueness of dim_customer_segments.customer_id
-- already rules out two segments; without a fitted model every k-means segment is null).
with

customer_features as (
    select * from {{ ref('fct_customer_features') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

segment_model as (
    select count(*) > 0 as has_model from {{ ref('int_segment_models_latest') }}
)

select customer_features.customer_id
from customer_features
cross join segment_model
left join customer_segments
    on customer_features.customer_id = customer_segments.customer_id
where
    customer_segments.customer_id is null
    or customer_segments.rfm_segment_id is null
    or (customer_segments.segment_id is null and segment_model.has_model)
