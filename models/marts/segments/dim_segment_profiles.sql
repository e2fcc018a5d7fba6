with

segment_models as (
    select * from {{ ref('int_segment_models_latest') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

final as (
    select
        cast(segment_models.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(segment_models.feature_name as varchar) as feature_name,
        cast(segment_models.feature_position as integer) as feature_position,
        cast(segment_models.centroid_value as double) as centroid_value,
        cast(segment_models.centroid_standardized as double) as centroid_standardized,
        cast(segment_models.feature_transform as varchar) as feature_transform,
        cast(segment_models.segment_size as bigint) as segment_size,
        cast(segment_models.as_of_date as date) as as_of_date,
        cast(segment_models._model_version as varchar) as _model_version
    from segment_models
    inner join segments
        on
            segment_models.segment_id = segments.segment_id
            and segments.segmentation = 'kmeans'
)

select * from final
