{#- The demographic columns of int_customer_features_combined: its published face. -#}

{%- set columns = demographic_feature_columns() -%}

with

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

final as (
    select
        customer_id,
        as_of_date,
        {%- for column in columns[:-1] %}
        {{ column }},
        {%- endfor %}
        {{ columns[-1] }}
    from customer_features
)

select * from final
