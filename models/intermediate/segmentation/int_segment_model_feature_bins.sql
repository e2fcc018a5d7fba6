{#- The training bins kept by earlier builds (history.segment_model_feature_bins). -#}
{%- set kept = kept_history_relation('segment_model_feature_bins') -%}

with

customer_features as (
    select * from {{ ref('int_customer_features_standardized') }}
),

segment_model as (
    select * from {{ ref('int_segment_models_latest') }}
),

-- The model's version and training date: one row, not one per segment and feature (each
-- customer's feature rows met all of those, 180M rows at 1M customers).
trained_model as (
    select distinct
        _model_version,
        cast(as_of_date as date) as as_of_date
    from segment_model
),

-- Bin only the training population: a model version not binned yet, scored at the as-of
-- date it was trained on (the build that trained it, or a later one re-run at that date).
model_to_bin as (
    select distinct
        customer_features._model_version,
        customer_features.as_of_date
    from customer_features
    inner join trained_model
        on
            customer_features._model_version = trained_model._model_version
            and customer_features.as_of_date = trained_model.as_of_date
    {% if kept is not none %}
        where customer_features._model_version not in (select _model_version from {{ kept }})
    {% endif %}
),

training_values as (
    select customer_features.*
    from customer_features
    inner join model_to_bin
        on customer_features._model_version = model_to_bin._model_version
),

-- Distinct deciles as inner edges: heavily tied features (counts, shares) get fewer bins.
decile_edges as (
    select
        _model_version,
        feature_name,
        list_distinct(
            quantile_disc(feature_value, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
        ) as edges
    from training_values
    group by all
),

upper_edges as (
    select
        _model_version,
        feature_name,
        unnest(list_sort(edges)) as upper_bound
    from decile_edges
),

-- Bin n is (edge n-1, edge n]; the first is open below and a last bin is open above.
bounds as (
    select
        _model_version,
        feature_name,
        lag(upper_bound) over feature_window as lower_bound,
        upper_bound
    from upper_edges
    window feature_window as (partition by _model_version, feature_name order by upper_bound)
    union all
    select
        _model_version,
        feature_name,
        max(upper_bound) as lower_bound,
        null as upper_bound
    from upper_edges
    group by all
),

numbered as (
    select
        _model_version,
        feature_name,
        lower_bound,
        upper_bound,
        row_number() over (
            partition by _model_version, feature_name
            order by lower_bound asc nulls first
        ) as bin_number
    from bounds
),

-- Left join from the bins: a bin no training customer falls in keeps a count of 0.
bin_counts as (
    select
        numbered._model_version,
        numbered.feature_name,
        numbered.bin_number,
        numbered.lower_bound,
        numbered.upper_bound,
        count(training_values.customer_id) as training_customer_count
    from numbered
    left join training_values
        on
            numbered._model_version = training_values._model_version
            and numbered.feature_name = training_values.feature_name
            and {{ value_in_bin('numbered', 'training_values.feature_value') }}
    group by all
),

new_bins as (
    select
        _model_version,
        feature_name,
        cast(bin_number as integer) as bin_number,
        cast(lower_bound as double) as lower_bound,
        cast(upper_bound as double) as upper_bound,
        cast(training_customer_count as bigint) as training_customer_count,
        cast(
            training_customer_count
            / sum(training_customer_count) over (partition by _model_version, feature_name)
            as double
        ) as training_share
    from bin_counts
),

final as (
    select * from new_bins
    {%- if kept is not none %}
    union all by name
    select * from {{ kept }}
    {%- endif %}
)

select * from final
