{#- Both shares are floored so that an empty bin gives a large but finite term, not ln(0). -#}
{%- set share_floor = 0.0001 -%}
{#- The drift of the as-of dates kept by earlier builds (history.segment_feature_drift). -#}
{%- set kept = kept_history_relation('segment_feature_drift') -%}

with

customer_features as (
    select * from {{ ref('int_customer_features_standardized') }}
),

feature_bins as (
    select * from {{ ref('int_segment_model_feature_bins') }}
),

segment_models as (
    select * from {{ ref('int_segment_models_fitted') }}
),

model_as_of_dates as (
    select
        _model_version,
        cast(any_value(as_of_date) as date) as model_as_of_date
    from segment_models
    group by all
),

feature_customer_counts as (
    select
        as_of_date,
        _model_version,
        feature_name,
        count(*) as customer_count
    from customer_features
    group by all
),

-- Left join from the bins, so a bin no current customer falls in still counts, with share 0.
current_bin_counts as (
    select
        feature_customer_counts.as_of_date,
        feature_customer_counts._model_version,
        feature_customer_counts.feature_name,
        feature_bins.bin_number,
        feature_bins.training_share,
        count(customer_features.customer_id) as current_customer_count
    from feature_customer_counts
    inner join feature_bins
        on
            feature_customer_counts._model_version = feature_bins._model_version
            and feature_customer_counts.feature_name = feature_bins.feature_name
    left join customer_features
        on
            feature_bins._model_version = customer_features._model_version
            and feature_bins.feature_name = customer_features.feature_name
            and {{ value_in_bin('feature_bins', 'customer_features.feature_value') }}
    group by all
),

bin_shares as (
    select
        current_bin_counts.as_of_date,
        current_bin_counts._model_version,
        current_bin_counts.feature_name,
        current_bin_counts.bin_number,
        greatest(
            current_bin_counts.current_customer_count / feature_customer_counts.customer_count,
            {{ share_floor }}
        ) as current_share,
        greatest(current_bin_counts.training_share, {{ share_floor }}) as training_share
    from current_bin_counts
    inner join feature_customer_counts
        on
            current_bin_counts._model_version = feature_customer_counts._model_version
            and current_bin_counts.feature_name = feature_customer_counts.feature_name
),

psi_terms as (
    select
        *,
        (current_share - training_share) * ln(current_share / training_share) as psi_term
    from bin_shares
),

feature_stability as (
    select
        as_of_date,
        _model_version,
        feature_name,
        count(*) as bin_count,
        -- In bin order: a double sum's last bits depend on the order of its terms.
        sum(psi_term order by bin_number) as population_stability_index
    from psi_terms
    group by all
),

run_drift as (
    select
        cast(feature_stability.as_of_date as date) as as_of_date,
        cast(feature_stability.feature_name as varchar) as feature_name,
        cast(feature_stability._model_version as varchar) as _model_version,
        cast(model_as_of_dates.model_as_of_date as date) as model_as_of_date,
        cast(feature_customer_counts.customer_count as bigint) as customer_count,
        cast(feature_stability.bin_count as integer) as bin_count,
        cast(
            feature_stability.population_stability_index as double
        ) as population_stability_index,
        cast({{ setting('segment_drift_max_psi') }} as double) as max_population_stability_index,
        cast(
            feature_stability.population_stability_index > {{ setting('segment_drift_max_psi') }}
            as boolean
        ) as is_drifted,
        cast(current_timestamp as timestamp) as _scored_at
    from feature_stability
    inner join feature_customer_counts
        on
            feature_stability._model_version = feature_customer_counts._model_version
            and feature_stability.feature_name = feature_customer_counts.feature_name
    left join model_as_of_dates
        on feature_stability._model_version = model_as_of_dates._model_version
),

-- This build's rows replace the kept ones of the same as-of date.
final as (
    select * from run_drift
    {%- if kept is not none %}
    union all by name
    select * from {{ kept }}
    where as_of_date not in (select run_drift.as_of_date from run_drift)
    {%- endif %}
)

select * from final
