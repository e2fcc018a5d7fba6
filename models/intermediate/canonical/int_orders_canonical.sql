{#-
    The selected source system's orders, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
source as (
    select * from {{ ref('stg_online_retail__orders') }}
),
{% else %}
source as (
    select * from {{ ref('stg_shop__orders') }}
),
{% endif %}

final as (
    select
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(ordered_at as timestamp) as ordered_at,
        cast(order_date as date) as order_date,
        cast(channel as varchar) as channel,
        cast(status as varchar) as status,
        cast(discount_code as varchar) as discount_code,
        cast(returned_at as timestamp) as returned_at,
        cast(returned_date as date) as returned_date
    from source
)

select * from final
