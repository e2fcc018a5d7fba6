{#- The membership backbone one row per customer: its RFM row beside its k-means row. -#}

with

memberships as (
    select * from {{ ref('int_customer_segment_memberships') }}
),

rfm_memberships as (
    select * from memberships
    where segmentation = 'rfm'
),

kmeans_memberships as (
    select * from memberships
    where segmentation = 'kmeans'
),

-- Every customer has an RFM segment; the k-means columns are null when no segment model
-- could be fitted (see fct_segment_model_runs.fit_message).
final as (
    select
        rfm_memberships.customer_id,
        rfm_memberships.as_of_date,
        kmeans_memberships.segment_id,
        kmeans_memberships.segment_name,
        kmeans_memberships.distance_to_centroid,
        rfm_memberships.segment_id as rfm_segment_id,
        rfm_memberships.segment_name as rfm_segment_name,
        rfm_memberships.recency_score,
        rfm_memberships.frequency_score,
        rfm_memberships.monetary_score,
        kmeans_memberships._model_version
    from rfm_memberships
    left join kmeans_memberships
        on
            rfm_memberships.customer_id = kmeans_memberships.customer_id
            and rfm_memberships.as_of_date = kmeans_memberships.as_of_date
)

select * from final
