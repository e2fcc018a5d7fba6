with

segment_models as (
    select * from {{ ref('int_segment_models_fitted') }}
),

latest_model as (
    select * from {{ ref('int_segment_models_latest') }}
),

-- Every segment of a version lists the same features; read them from its first segment.
first_segment_rows as (
    select *
    from segment_models
    qualify segment_id = min(segment_id) over (partition by _model_version)
),

features as (
    select
        _model_version,
        list(feature_name order by feature_position) as features,
        list(feature_transform order by feature_position) as feature_transforms
    from first_segment_rows
    group by all
),

segment_ids as (
    select
        _model_version,
        list(distinct segment_id order by segment_id) filter (
            where segment_id is not null
        ) as segment_ids
    from segment_models
    group by all
),

runs as (
    select
        _model_version,
        any_value(_trained_at) as _trained_at,
        any_value(retrain_reason) as retrain_reason,
        any_value(as_of_date) as as_of_date,
        any_value(k) as k,
        any_value(k_selection_criterion) as k_selection_criterion,
        any_value(k_scores) as k_scores,
        any_value(n_customers) as n_customers,
        any_value(n_training_rows) as n_training_rows,
        any_value(random_state) as random_state,
        any_value(silhouette_score) as silhouette_score,
        any_value(davies_bouldin_score) as davies_bouldin_score,
        any_value(calinski_harabasz_score) as calinski_harabasz_score,
        any_value(inertia) as inertia,
        any_value(fit_message) as fit_message
    from segment_models
    group by all
),

current_version as (
    select distinct _model_version
    from latest_model
),

final as (
    select
        cast(runs._model_version as varchar) as _model_version,
        cast(runs._trained_at as timestamp) as _trained_at,
        cast(runs.retrain_reason as varchar) as retrain_reason,
        cast(current_version._model_version is not null as boolean) as is_current,
        cast(runs.as_of_date as date) as as_of_date,
        cast(runs.k as integer) as k,
        cast(segment_ids.segment_ids as integer[]) as segment_ids,
        cast(runs.k_selection_criterion as varchar) as k_selection_criterion,
        cast(runs.k_scores as json) as k_scores,
        cast(features.features as varchar[]) as features,
        cast(features.feature_transforms as varchar[]) as feature_transforms,
        cast(runs.n_customers as bigint) as n_customers,
        cast(runs.n_training_rows as bigint) as n_training_rows,
        cast(runs.random_state as bigint) as random_state,
        cast(runs.silhouette_score as double) as silhouette_score,
        cast(runs.davies_bouldin_score as double) as davies_bouldin_score,
        cast(runs.calinski_harabasz_score as double) as calinski_harabasz_score,
        cast(runs.inertia as double) as inertia,
        cast(runs.fit_message as varchar) as fit_message
    from runs
    -- A run that could not fit a model has no features or segments, only its fit_message.
    left join features on runs._model_version = features._model_version
    left join segment_ids on runs._model_version = segment_ids._model_version
    left join current_version on runs._model_version = current_version._model_version
)

select * from final
