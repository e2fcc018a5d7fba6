with

segment_models as (
    select * from {{ ref('int_segment_models_fitted') }}
),

latest_model as (
    select * from {{ ref('int_segment_models_latest') }}
),

name_overrides as (
    select * from {{ ref('segment_name_overrides') }}
),

rfm_segment_definitions as (
    select * from {{ ref('rfm_segment_definitions') }}
),

-- Every k-means segment id ever used, labelled as in the latest model that had it: ids are
-- stable across retrains, so history keeps a name for retired segments too.
kmeans_segments as (
    select
        segment_id,
        segment_name,
        segment_description,
        _model_version,
        _trained_at
    from segment_models
    where feature_position = 1
    qualify
        row_number() over (
            partition by segment_id order by _trained_at desc, _model_version desc
        ) = 1
),

current_segment_ids as (
    select distinct segment_id
    from latest_model
),

kmeans_labelled as (
    select
        'kmeans' as segmentation,
        kmeans_segments.segment_id,
        coalesce(name_overrides.segment_name, kmeans_segments.segment_name) as segment_name,
        coalesce(
            name_overrides.segment_description, kmeans_segments.segment_description
        ) as segment_description,
        null as recommended_action,
        kmeans_segments.segment_name as derived_segment_name,
        name_overrides.segment_id is not null as is_name_overridden,
        current_segment_ids.segment_id is not null as is_current,
        kmeans_segments._model_version as _last_model_version
    from kmeans_segments
    left join name_overrides on kmeans_segments.segment_id = name_overrides.segment_id
    left join current_segment_ids
        on kmeans_segments.segment_id = current_segment_ids.segment_id
),

rfm_labelled as (
    select
        'rfm' as segmentation,
        rfm_segment_id as segment_id,
        rfm_segment_name as segment_name,
        rfm_segment_description as segment_description,
        recommended_action,
        rfm_segment_name as derived_segment_name,
        false as is_name_overridden,
        true as is_current,
        null as _last_model_version
    from rfm_segment_definitions
),

unioned as (
    select * from kmeans_labelled
    union all
    select * from rfm_labelled
),

final as (
    select
        cast(segmentation as varchar) as segmentation,
        cast(segment_id as integer) as segment_id,
        cast(segment_name as varchar) as segment_name,
        cast(segment_description as varchar) as segment_description,
        cast(recommended_action as varchar) as recommended_action,
        cast(derived_segment_name as varchar) as derived_segment_name,
        cast(is_name_overridden as boolean) as is_name_overridden,
        cast(is_current as boolean) as is_current,
        cast(_last_model_version as varchar) as _last_model_version
    from unioned
)

select * from final
