-- Fails with each customer in the feature mart that no segment holds (uniqueness of
-- dim_customer_segments.customer_id already rules out two segments).
with

customer_features as (
    select * from {{ ref('fct_customer_features') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
)

select customer_features.customer_id
from customer_features
left join customer_segments
    on customer_features.customer_id = customer_segments.customer_id
where customer_segments.customer_id is null
