{#- An explicit as-of date wins; otherwise the last date with any activity. The post-hook
    stops the build, saying why, when there is no date or it lies outside the data. -#}
{{ config(post_hook="{{ check_as_of_date() }}") }}
{%- set as_of_date = as_of_date_setting() -%}
{%- set as_of_expression = (
    "cast('" ~ as_of_date ~ "' as date)" if as_of_date else 'data_end_date'
) -%}

-- The post-hook reads the quarantine's counts: depends_on: {{ ref('int_source_rows_counted') }}
with

orders as (
    select * from {{ ref('int_orders_canonical') }}
),

web_sessions as (
    select * from {{ ref('int_web_sessions_canonical') }}
),

email_events as (
    select * from {{ ref('int_email_events_canonical') }}
),

survey_responses as (
    select * from {{ ref('int_survey_responses_canonical') }}
),

customer_behaviour as (
    select * from {{ ref('int_customer_behaviour_canonical') }}
),

activity_bounds as (
    select
        min(ordered_at) as first_at,
        max(ordered_at) as last_at
    from orders
    union all
    -- A return is activity too: an order returned after its last order date counts.
    select
        min(returned_at) as first_at,
        max(returned_at) as last_at
    from orders
    union all
    select
        min(started_at) as first_at,
        max(started_at) as last_at
    from web_sessions
    union all
    select
        min(occurred_at) as first_at,
        max(occurred_at) as last_at
    from email_events
    union all
    select
        min(responded_at) as first_at,
        max(responded_at) as last_at
    from survey_responses
    union all
    -- A customer snapshot's behaviour is measured on its snapshot date.
    select
        min(snapshot_date) as first_at,
        max(snapshot_date) as last_at
    from customer_behaviour
),

data_bounds as (
    select
        cast(min(first_at) as date) as data_start_date,
        cast(max(last_at) as date) as data_end_date
    from activity_bounds
),

final as (
    select
        {{ as_of_expression }} as as_of_date,
        data_start_date,
        data_end_date
    from data_bounds
)

select * from final
