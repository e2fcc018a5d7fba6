{#- The behavioural columns of int_customer_features_combined: its published face. -#}

{%- set columns = behavioural_feature_columns(ref('int_customer_features_combined')) -%}

with

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

final as (
    select
        {%- for column in columns[:-1] %}
        {{ column }},
        {%- endfor %}
        {{ columns[-1] }}
    from customer_features
)

select * from final
