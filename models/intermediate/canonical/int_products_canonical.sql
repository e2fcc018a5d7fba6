{#-
    The selected source system's products, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
source as (
    select * from {{ ref('stg_online_retail__products') }}
),
{% else %}
source as (
    select * from {{ ref('stg_shop__products') }}
),
{% endif %}

final as (
    select
        cast(product_id as bigint) as product_id,
        cast(product_name as varchar) as product_name,
        cast(category as varchar) as category,
        cast(brand as varchar) as brand,
        cast(list_price as decimal(18, 2)) as list_price
    from source
)

select * from final
