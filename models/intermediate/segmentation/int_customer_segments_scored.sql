with

standardized_features as (
    select * from {{ ref('int_customer_features_standardized') }}
),

segment_model as (
    select * from {{ ref('int_segment_models_latest') }}
),

centroids as (
    select
        segment_id,
        feature_name,
        centroid_standardized
    from segment_model
),

squared_distances as (
    select
        standardized_features.customer_id,
        standardized_features.as_of_date,
        standardized_features._model_version,
        centroids.segment_id,
        count(*) as feature_count,
        -- Summed in feature order, as in Python: a double sum in the order DuckDB's threads
        -- happen to deliver the rows differs in the last bits from run to run.
        sum(
            (standardized_features.standardized_value - centroids.centroid_standardized)
            * (standardized_features.standardized_value - centroids.centroid_standardized)
            order by standardized_features.feature_position
        ) as squared_distance
    from standardized_features
    inner join centroids on standardized_features.feature_name = centroids.feature_name
    group by all
),

-- Nearest centroid; a tie goes to the smaller segment id, as in Python.
ranked as (
    select
        *,
        row_number() over (
            partition by customer_id order by squared_distance, segment_id
        ) as distance_rank
    from squared_distances
),

final as (
    select
        customer_id,
        as_of_date,
        segment_id,
        sqrt(squared_distance) as distance_to_centroid,
        feature_count,
        _model_version
    from ranked
    where distance_rank = 1
)

select * from final
