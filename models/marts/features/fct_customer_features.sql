{#- Every feature of int_customer_features_combined: its published face. -#}

with

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

final as (
    select * from customer_features
)

select * from final
