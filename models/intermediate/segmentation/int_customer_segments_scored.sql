with

standardized_features as (
    select * from {{ ref('int_customer_features_standardized') }}
),

segment_model as (
    select * from {{ ref('int_segment_models_latest') }}
),

-- One row per customer and one per centroid, each with its values in feature order: a
-- customer meets each centroid once, not once per feature (a join of customers by segments
-- by features was most of the scoring's time). Features are told apart by their position in
-- the model, a number: lists of their names ran out of memory at 10M customers.
customer_vectors as (
    select
        customer_id,
        as_of_date,
        _model_version,
        list(feature_position order by feature_position) as feature_positions,
        list(standardized_value order by feature_position) as standardized_values
    from standardized_features
    group by all
),

centroid_vectors as (
    select
        segment_id,
        list(feature_position order by feature_position) as feature_positions,
        list(centroid_standardized order by feature_position) as centroid_values
    from segment_model
    group by all
),

squared_distances as (
    select
        customer_vectors.customer_id,
        customer_vectors.as_of_date,
        customer_vectors._model_version,
        centroid_vectors.segment_id,
        -- The features the distance sums over: none unless the customer's are the model's, in
        -- its order (the data test int_customer_segments_scored_uses_every_model_feature).
        case
            when customer_vectors.feature_positions = centroid_vectors.feature_positions
                then len(customer_vectors.feature_positions)
            else 0
        end as feature_count,
        -- Summed left to right in feature order, as in Python (list_sum adds a list's elements
        -- in order): a double sum in another order differs in the last bits.
        case
            when customer_vectors.feature_positions = centroid_vectors.feature_positions
                then list_sum(
                    list_transform(
                        list_zip(
                            customer_vectors.standardized_values, centroid_vectors.centroid_values
                        ),
                        -- `pair` is the lambda's parameter, not a column (hence the noqa).
                        lambda pair: (pair[1] - pair[2]) * (pair[1] - pair[2])  -- noqa: RF02
                    )
                )
        end as squared_distance
    from customer_vectors
    cross join centroid_vectors
),

-- Nearest centroid; a tie goes to the smaller segment id, as in Python.
nearest as (
    select
        customer_id,
        as_of_date,
        _model_version,
        arg_min(
            {
                'segment_id': segment_id,
                'squared_distance': squared_distance,
                'feature_count': feature_count
            },
            { 'squared_distance': squared_distance, 'segment_id': segment_id }
        ) as scored
    from squared_distances
    group by all
),

final as (
    select
        nearest.customer_id,
        nearest.as_of_date,
        nearest.scored.segment_id,
        sqrt(nearest.scored.squared_distance) as distance_to_centroid,
        nearest.scored.feature_count,
        nearest._model_version
    from nearest
)

select * from final
