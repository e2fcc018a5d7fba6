with

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

lifetime_values as (
    select * from {{ ref('int_customer_lifetime_values_predicted') }}
),

-- The horizon, the fit message and the fit that scored are the same on every predicted
-- row; customers without a prediction are labelled with them too.
prediction_settings as (
    select
        max(horizon_months) as horizon_months,
        max(model_fit_message) as model_fit_message,
        max(_model_version) as _model_version,
        max(model_as_of_date) as model_as_of_date
    from lifetime_values
),

-- Customers without a kept order have no history for the models: historical value 0, and
-- every predicted value null rather than a guess.
final as (
    select
        cast(customer_features.customer_id as bigint) as customer_id,
        cast(customer_features.as_of_date as date) as as_of_date,
        cast(customer_features.monetary_value as decimal(18, 2)) as historical_clv,
        cast(lifetime_values.predicted_clv as decimal(18, 2)) as predicted_clv,
        cast(lifetime_values.probability_alive as double) as probability_alive,
        cast(lifetime_values.expected_purchases as double) as expected_purchases,
        cast(
            lifetime_values.expected_average_spend as decimal(18, 2)
        ) as expected_average_spend,
        cast(lifetime_values.is_likely_churned as boolean) as is_likely_churned,
        cast(prediction_settings.horizon_months as integer) as horizon_months,
        cast(coalesce(
            prediction_settings.model_fit_message,
            -- No predicted row at all: nothing to fit.
            case
                when prediction_settings.horizon_months is null
                    then {{ string_literal(clv_without_orders_message()) }}
            end
        ) as varchar) as model_fit_message,
        cast(prediction_settings._model_version as varchar) as _model_version,
        cast(prediction_settings.model_as_of_date as date) as model_as_of_date
    from customer_features
    left join lifetime_values on customer_features.customer_id = lifetime_values.customer_id
    cross join prediction_settings
)

select * from final
