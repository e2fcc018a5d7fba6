{#-
    The selected source system's order lines, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
source as (
    select * from {{ ref('stg_online_retail__order_lines') }}
),
{% else %}
source as (
    select * from {{ ref('stg_shop__order_lines') }}
),
{% endif %}

final as (
    select
        cast(order_line_id as bigint) as order_line_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as bigint) as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        cast(discount_amount as decimal(18, 2)) as discount_amount
    from source
)

select * from final
