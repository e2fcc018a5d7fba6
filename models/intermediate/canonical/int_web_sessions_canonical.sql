{#-
    The selected source system's web sessions, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
-- Online Retail II has no web sessions: an empty relation with the same columns.
source as (
    select
        cast(null as bigint) as web_session_id,
        cast(null as bigint) as customer_id,
        cast(null as timestamp) as started_at,
        cast(null as varchar) as device,
        cast(null as integer) as pages_viewed,
        cast(null as bigint) as converted_order_id
    where false
),
{% else %}
source as (
    select * from {{ ref('stg_shop__web_sessions') }}
),
{% endif %}

final as (
    select
        cast(web_session_id as bigint) as web_session_id,
        cast(customer_id as bigint) as customer_id,
        cast(started_at as timestamp) as started_at,
        cast(device as varchar) as device,
        cast(pages_viewed as integer) as pages_viewed,
        cast(converted_order_id as bigint) as converted_order_id
    from source
)

select * from final
