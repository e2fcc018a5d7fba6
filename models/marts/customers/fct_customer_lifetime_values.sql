{#- Every customer's CLV (int_customer_lifetime_values_completed): its published face. -#}

with

lifetime_values as (
    select * from {{ ref('int_customer_lifetime_values_completed') }}
),

final as (
    select * from lifetime_values
)

select * from final
