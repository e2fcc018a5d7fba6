{% macro warn_if_model_not_fitted(model_kind) -%}
    {#-
        post-hook of the two Python models that fit a statistical model: when the data could
        not be fitted (fewer customers than k, no repeat buyer...), the model left its columns
        null and recorded why; say so in the build's output, since every other mart builds.
        `model_kind`: 'segments' (int_segment_models_fitted) or 'clv'
        (int_customer_lifetime_values_predicted).
    -#}
    {%- if execute -%}
        {%- if model_kind == 'segments' -%}
            {%- set latest = run_query(
                'select fit_message from ' ~ this ~ ' order by _trained_at desc limit 1'
            ).rows -%}
            {%- if latest and latest[0][0] is not none -%}
                {%- do exceptions.warn(
                    'k-means segments not fitted: ' ~ latest[0][0] ~ '. The k-means columns'
                    ~ ' of the marts are null (RFM segments and every other mart are built);'
                    ~ ' the next build tries again. See marts.fct_segment_model_runs.'
                ) -%}
            {%- endif -%}
        {%- else -%}
            {%- set found = run_query(
                'select count(*), any_value(model_fit_message) from ' ~ this
            ).rows[0] -%}
            {%- if found[0] == 0 -%}
                {%- do exceptions.warn(
                    'Customer lifetime value not predicted: ' ~ clv_without_orders_message() ~ '.'
                ) -%}
            {%- elif found[1] is not none -%}
                {%- do exceptions.warn(
                    'Customer lifetime value: ' ~ found[1] ~ '. Those columns of'
                    ~ ' fct_customer_lifetime_values are null; every other mart is built.'
                ) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as model_fit_checked
{%- endmacro %}

{% macro clv_without_orders_message() -%}
    {#- Why there is no lifetime value at all: the build's warning and the mart's message. -#}
    {{- return('no customer has a kept order to fit BG/NBD and Gamma-Gamma on (a source'
        ~ ' without a transaction log)') -}}
{%- endmacro %}
