with

segment_models as (
    select * from {{ ref('int_segment_models_fitted') }}
),

features as (
    select
        _model_version,
        list(feature_name order by feature_position) as features,
        list(feature_transform order by feature_position) as feature_transforms
    from segment_models
    where segment_id = 1
    group by all
),

runs as (
    select
        _model_version,
        any_value(_trained_at) as _trained_at,
        any_value(as_of_date) as as_of_date,
        any_value(k) as k,
        any_value(k_selection_criterion) as k_selection_criterion,
        any_value(k_scores) as k_scores,
        any_value(n_training_rows) as n_training_rows,
        any_value(random_state) as random_state
    from segment_models
    group by all
),

final as (
    select
        cast(runs._model_version as varchar) as _model_version,
        cast(runs._trained_at as timestamp) as _trained_at,
        cast(runs.as_of_date as date) as as_of_date,
        cast(runs.k as integer) as k,
        cast(runs.k_selection_criterion as varchar) as k_selection_criterion,
        cast(runs.k_scores as json) as k_scores,
        cast(features.features as varchar[]) as features,
        cast(features.feature_transforms as varchar[]) as feature_transforms,
        cast(runs.n_training_rows as bigint) as n_training_rows,
        cast(runs.random_state as bigint) as random_state
    from runs
    inner join features on runs._model_version = features._model_version
)

select * from final
