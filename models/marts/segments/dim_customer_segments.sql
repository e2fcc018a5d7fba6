with

scored as (
    select * from {{ ref('int_customer_segments_scored') }}
),

rfm_scored as (
    select * from {{ ref('int_customers_rfm_scored') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

final as (
    select
        cast(rfm_scored.customer_id as bigint) as customer_id,
        cast(rfm_scored.as_of_date as date) as as_of_date,
        cast(scored.segment_id as integer) as segment_id,
        cast(kmeans_segments.segment_name as varchar) as segment_name,
        cast(scored.distance_to_centroid as double) as distance_to_centroid,
        cast(rfm_scored.rfm_segment_id as integer) as rfm_segment_id,
        cast(rfm_scored.rfm_segment_name as varchar) as rfm_segment_name,
        cast(rfm_scored.recency_score as integer) as recency_score,
        cast(rfm_scored.frequency_score as integer) as frequency_score,
        cast(rfm_scored.monetary_score as integer) as monetary_score,
        cast(scored._model_version as varchar) as _model_version
    -- Every customer has an RFM segment; the k-means columns are null when no segment
    -- model could be fitted (see fct_segment_model_runs.fit_message).
    from rfm_scored
    left join scored on rfm_scored.customer_id = scored.customer_id
    left join segments as kmeans_segments
        on
            scored.segment_id = kmeans_segments.segment_id
            and kmeans_segments.segmentation = 'kmeans'
)

select * from final
