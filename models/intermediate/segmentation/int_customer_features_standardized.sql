with

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

feature_values as (
    select * from {{ ref('int_customer_features_unpivoted') }}
),

segment_model as (
    select * from {{ ref('int_segment_models_latest') }}
),

model_features as (
    select distinct
        _model_version,
        feature_name,
        feature_position,
        feature_transform,
        null_fill_column,
        impute_value,
        scaler_mean,
        scaler_scale
    from segment_model
),

-- Every customer gets every model feature. A null takes the fill column's value, then the
-- training impute value, as in Python; a category's indicator the customer has no row for
-- (another category, or none) takes its impute value 0.
filled as (
    select
        customer_features.customer_id,
        customer_features.as_of_date,
        model_features._model_version,
        model_features.feature_name,
        model_features.feature_position,
        model_features.feature_transform,
        model_features.scaler_mean,
        model_features.scaler_scale,
        coalesce(
            feature_values.column_value, fill_values.column_value, model_features.impute_value
        ) as feature_value
    from customer_features
    cross join model_features
    left join feature_values
        on
            customer_features.customer_id = feature_values.customer_id
            and model_features.feature_name = feature_values.column_name
    left join feature_values as fill_values
        on
            customer_features.customer_id = fill_values.customer_id
            and model_features.null_fill_column = fill_values.column_name
),

-- log1p clamps negatives to 0, as segwarehouse.clustering.FeatureTransform.forward does.
standardized as (
    select
        customer_id,
        as_of_date,
        _model_version,
        feature_name,
        feature_position,
        feature_value,
        (
            case
                when feature_transform = 'log1p' then ln(1 + greatest(feature_value, 0))
                else feature_value
            end
            - scaler_mean
        ) / scaler_scale as standardized_value
    from filled
),

final as (
    select * from standardized
)

select * from final
