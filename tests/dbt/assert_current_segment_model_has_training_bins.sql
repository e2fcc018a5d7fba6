-- Warns when the model scoring this build has no training bins, so fct_segment_feature_drift
-- has no row for it: the model was stored before int_segment_model_feature_bins existed and
-- no build has run at its training as-of date since. Fix: one build with
-- --vars '{as_of_date: <fct_segment_model_runs.as_of_date of the current model>}'.
{{ config(severity='warn') }}

with

customer_features as (
    select * from {{ ref('int_customer_features_standardized') }}
),

feature_bins as (
    select * from {{ ref('int_segment_model_feature_bins') }}
),

current_features as (
    select distinct
        _model_version,
        feature_name
    from customer_features
),

binned_features as (
    select distinct
        _model_version,
        feature_name
    from feature_bins
)

select current_features.*
from current_features
left join binned_features
    on
        current_features._model_version = binned_features._model_version
        and current_features.feature_name = binned_features.feature_name
where binned_features._model_version is null
