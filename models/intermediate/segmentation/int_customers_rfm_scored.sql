with

features as (
    select * from {{ ref('int_customer_features_combined') }}
),

rfm_segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

rfm_segment_definitions as (
    select * from {{ ref('rfm_segment_definitions') }}
),

-- Only customers with a kept order are scored; everybody else keeps null scores and does not
-- count towards the quintiles.
purchasers as (
    select
        customer_id,
        recency_days,
        kept_order_count,
        monetary_value
    from features
    where kept_order_count >= 1
),

-- rank() orders the worst value first and gives equal values the same rank, so ties always
-- share a score (unlike ntile, which splits them arbitrarily).
ranked as (
    select
        customer_id,
        rank() over (order by recency_days desc) as recency_rank,
        rank() over (order by kept_order_count asc) as frequency_rank,
        rank() over (order by monetary_value asc) as monetary_rank,
        count(*) over () as purchaser_count
    from purchasers
),

-- score = 1 + floor(5 * (rank - 1) / purchasers): 1 for the worst fifth, 5 for the best.
scored as (
    select
        customer_id,
        cast(1 + floor(5.0 * (recency_rank - 1) / purchaser_count) as integer) as recency_score,
        cast(
            1 + floor(5.0 * (frequency_rank - 1) / purchaser_count) as integer
        ) as frequency_score,
        cast(1 + floor(5.0 * (monetary_rank - 1) / purchaser_count) as integer) as monetary_score
    from ranked
),

-- The mean of F and M, rounded half up: (f + m + 1) // 2.
frequency_monetary_scored as (
    select
        customer_id,
        recency_score,
        frequency_score,
        monetary_score,
        cast(floor((frequency_score + monetary_score + 1) / 2.0) as integer)
            as frequency_monetary_score
    from scored
),

customers_scored as (
    select
        features.customer_id,
        features.as_of_date,
        frequency_monetary_scored.recency_score,
        frequency_monetary_scored.frequency_score,
        frequency_monetary_scored.monetary_score,
        frequency_monetary_scored.frequency_monetary_score
    from features
    left join frequency_monetary_scored
        on features.customer_id = frequency_monetary_scored.customer_id
),

-- Customers without a purchase (null scores) take the map's row whose scores are both empty.
final as (
    select
        customers_scored.customer_id,
        customers_scored.as_of_date,
        customers_scored.recency_score,
        customers_scored.frequency_score,
        customers_scored.monetary_score,
        customers_scored.frequency_monetary_score,
        rfm_segment_definitions.rfm_segment_id,
        rfm_segment_map.rfm_segment_name
    from customers_scored
    left join rfm_segment_map
        on
            (
                customers_scored.recency_score = rfm_segment_map.recency_score
                and customers_scored.frequency_monetary_score
                = rfm_segment_map.frequency_monetary_score
            )
            or (
                customers_scored.recency_score is null
                and customers_scored.frequency_monetary_score is null
                and rfm_segment_map.recency_score is null
                and rfm_segment_map.frequency_monetary_score is null
            )
    left join rfm_segment_definitions
        on rfm_segment_map.rfm_segment_name = rfm_segment_definitions.rfm_segment_name
)

select * from final
