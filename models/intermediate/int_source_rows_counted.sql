{#- Raw rows per source table and outcome (kept, or a quarantine reason), for the selected
    source_system. -#}
{%- if source_system() == 'online_retail' %}

with

invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

final as (
    select
        'online_retail' as source_name,
        'invoice_lines' as source_table,
        coalesce(quarantine_reason, 'kept') as row_outcome,
        cast(count(*) as bigint) as row_count,
        sum(quantity * price) as row_amount
    from invoice_lines
    group by all
)

select * from final

{%- else %}

with

customers_classified as (
    select * from {{ ref('stg_shop__customers_classified') }}
),

products_classified as (
    select * from {{ ref('stg_shop__products_classified') }}
),

orders_classified as (
    select * from {{ ref('stg_shop__orders_classified') }}
),

order_lines_classified as (
    select * from {{ ref('stg_shop__order_lines_classified') }}
),

campaigns_classified as (
    select * from {{ ref('stg_shop__campaigns_classified') }}
),

campaign_sends_classified as (
    select * from {{ ref('stg_shop__campaign_sends_classified') }}
),

email_events_classified as (
    select * from {{ ref('stg_shop__email_events_classified') }}
),

web_sessions_classified as (
    select * from {{ ref('stg_shop__web_sessions_classified') }}
),

experiment_assignments_classified as (
    select * from {{ ref('stg_shop__experiment_assignments_classified') }}
),

survey_responses_classified as (
    select * from {{ ref('stg_shop__survey_responses_classified') }}
),

classified_rows as (
    select
        source_table,
        quarantine_reason,
        row_amount
    from customers_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from products_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from orders_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from order_lines_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from campaigns_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from campaign_sends_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from email_events_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from web_sessions_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from experiment_assignments_classified
    union all
    select
        source_table,
        quarantine_reason,
        row_amount
    from survey_responses_classified
),

-- Every table gets a 'kept' row, even when none of its rows is kept.
source_tables as (
    select 'customers' as source_table
    union all
    select 'products' as source_table
    union all
    select 'orders' as source_table
    union all
    select 'order_lines' as source_table
    union all
    select 'campaigns' as source_table
    union all
    select 'campaign_sends' as source_table
    union all
    select 'email_events' as source_table
    union all
    select 'web_sessions' as source_table
    union all
    select 'experiment_assignments' as source_table
    union all
    select 'survey_responses' as source_table
),

outcomes as (
    select
        source_table,
        coalesce(quarantine_reason, 'kept') as row_outcome,
        count(*) as row_count,
        sum(row_amount) as row_amount
    from classified_rows
    group by all
    union all
    select
        source_table,
        'kept' as row_outcome,
        0 as row_count,
        null as row_amount
    from source_tables
),

final as (
    select
        'shop' as source_name,
        source_table,
        row_outcome,
        cast(sum(row_count) as bigint) as row_count,
        sum(row_amount) as row_amount
    from outcomes
    group by all
)

select * from final

{%- endif %}
