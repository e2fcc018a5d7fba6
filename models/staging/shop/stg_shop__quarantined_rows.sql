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

quarantined as (
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from customers_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from products_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from orders_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from order_lines_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from campaigns_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from campaign_sends_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from email_events_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from web_sessions_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from experiment_assignments_classified
    where quarantine_reason is not null
    union all
    select
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from survey_responses_classified
    where quarantine_reason is not null
),

final as (
    select
        'shop' as source_name,
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from quarantined
)

select * from final
