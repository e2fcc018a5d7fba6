{#-
    The selected source system's campaigns, with the columns and types every source
    maps to.
-#}
with

{% if source_system() == 'online_retail' %}
-- Online Retail II has no campaigns: an empty relation with the same columns.
source as (
    select
        cast(null as bigint) as campaign_id,
        cast(null as varchar) as campaign_name,
        cast(null as varchar) as channel,
        cast(null as date) as start_date,
        cast(null as date) as end_date,
        cast(null as decimal(18, 2)) as cost
    where false
),
{% else %}
source as (
    select * from {{ ref('stg_shop__campaigns') }}
),
{% endif %}

final as (
    select
        cast(campaign_id as bigint) as campaign_id,
        cast(campaign_name as varchar) as campaign_name,
        cast(channel as varchar) as channel,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(cost as decimal(18, 2)) as cost
    from source
)

select * from final
