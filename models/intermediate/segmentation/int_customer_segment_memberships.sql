{#-
    The membership backbone: one row per customer per as-of date per segmentation, the one
    place the k-means and RFM memberships are combined. Everything that needs a customer's
    segment (dim_customer_segments, snapshots and history, KPIs, rollups, experiments) reads
    it here.
-#}

with

kmeans_scored as (
    select * from {{ ref('int_customer_segments_scored') }}
),

rfm_scored as (
    select * from {{ ref('int_customers_rfm_scored') }}
),

segments as (
    select * from {{ ref('int_segments_named') }}
),

customers as (
    select * from {{ ref('int_customers_canonical') }}
),

-- Every customer has an RFM segment; a k-means one only when a segment model could be fitted
-- (see fct_segment_model_runs.fit_message), and only for customers RFM scored too.
kmeans_memberships as (
    select
        kmeans_scored.customer_id,
        rfm_scored.as_of_date,
        'kmeans' as segmentation,
        kmeans_scored.segment_id,
        segments.segment_name,
        kmeans_scored.distance_to_centroid,
        null as recency_score,
        null as frequency_score,
        null as monetary_score,
        kmeans_scored._model_version
    from kmeans_scored
    inner join rfm_scored
        on
            kmeans_scored.customer_id = rfm_scored.customer_id
            and kmeans_scored.as_of_date = rfm_scored.as_of_date
    left join segments
        on
            kmeans_scored.segment_id = segments.segment_id
            and segments.segmentation = 'kmeans'
    where kmeans_scored.segment_id is not null
),

rfm_memberships as (
    select
        customer_id,
        as_of_date,
        'rfm' as segmentation,
        rfm_segment_id as segment_id,
        rfm_segment_name as segment_name,
        null as distance_to_centroid,
        recency_score,
        frequency_score,
        monetary_score,
        null as _model_version
    from rfm_scored
),

unioned as (
    select * from kmeans_memberships
    union all
    select * from rfm_memberships
),

final as (
    select
        cast(unioned.customer_id as bigint) as customer_id,
        cast(unioned.as_of_date as date) as as_of_date,
        cast(unioned.segmentation as varchar) as segmentation,
        cast(unioned.segment_id as integer) as segment_id,
        cast(unioned.segment_name as varchar) as segment_name,
        cast(unioned.distance_to_centroid as double) as distance_to_centroid,
        cast(unioned.recency_score as integer) as recency_score,
        cast(unioned.frequency_score as integer) as frequency_score,
        cast(unioned.monetary_score as integer) as monetary_score,
        -- Carried for the cohort and month rollups, which count customers from signup.
        customers.signup_date,
        cast(unioned._model_version as varchar) as _model_version
    from unioned
    inner join customers on unioned.customer_id = customers.customer_id
)

select * from final
