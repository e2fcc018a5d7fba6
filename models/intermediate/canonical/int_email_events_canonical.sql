{#-
    The selected source system's email events, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
-- Online Retail II has no email events: an empty relation with the same columns.
source as (
    select
        cast(null as bigint) as email_event_id,
        cast(null as bigint) as campaign_send_id,
        cast(null as varchar) as event_type,
        cast(null as timestamp) as occurred_at
    where false
),
{% else %}
source as (
    select * from {{ ref('stg_shop__email_events') }}
),
{% endif %}

final as (
    select
        cast(email_event_id as bigint) as email_event_id,
        cast(campaign_send_id as bigint) as campaign_send_id,
        cast(event_type as varchar) as event_type,
        cast(occurred_at as timestamp) as occurred_at
    from source
)

select * from final
