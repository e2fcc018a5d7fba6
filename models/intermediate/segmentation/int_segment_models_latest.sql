with

segment_models as (
    select * from {{ ref('int_segment_models_fitted') }}
),

latest_version as (
    select arg_max(_model_version, _trained_at) as _model_version
    from segment_models
),

-- A latest run that could not fit a model (fit_message) leaves no model: nothing is scored
-- by an older model trained for other settings or data.
final as (
    select segment_models.*
    from segment_models
    inner join latest_version on segment_models._model_version = latest_version._model_version
    where segment_models.fit_message is null
)

select * from final
