with

segment_models as (
    select * from {{ ref('int_segment_models_fitted') }}
),

final as (
    select
        cast(segment_id as integer) as segment_id,
        cast(feature_name as varchar) as feature_name,
        cast(feature_position as integer) as feature_position,
        cast(centroid_value as double) as centroid_value,
        cast(centroid_standardized as double) as centroid_standardized,
        cast(feature_transform as varchar) as feature_transform,
        cast(segment_size as bigint) as segment_size,
        cast(as_of_date as date) as as_of_date,
        cast(_model_version as varchar) as _model_version
    from segment_models
)

select * from final
