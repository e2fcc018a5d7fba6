{#-
    The selected source system's campaign sends, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
-- Online Retail II has no campaigns: an empty relation with the same columns.
source as (
    select
        cast(null as bigint) as campaign_send_id,
        cast(null as bigint) as campaign_id,
        cast(null as bigint) as customer_id,
        cast(null as timestamp) as sent_at
    where false
),
{% else %}
source as (
    select * from {{ ref('stg_shop__campaign_sends') }}
),
{% endif %}

final as (
    select
        cast(campaign_send_id as bigint) as campaign_send_id,
        cast(campaign_id as bigint) as campaign_id,
        cast(customer_id as bigint) as customer_id,
        cast(sent_at as timestamp) as sent_at
    from source
)

select * from final
