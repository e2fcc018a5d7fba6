with

campaign_sends as (
    select * from {{ ref('int_campaign_sends_canonical') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_canonical') }}
),

email_events as (
    select * from {{ ref('int_email_events_canonical') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

email_sends as (
    select
        campaign_sends.campaign_send_id,
        campaign_sends.customer_id,
        as_of_dates.as_of_date
    from campaign_sends
    inner join campaigns on campaign_sends.campaign_id = campaigns.campaign_id
    cross join as_of_dates
    where
        campaigns.channel = 'email'
        and cast(campaign_sends.sent_at as date) <= as_of_dates.as_of_date
),

-- One row per send and event type, counting only events that happened by the as-of date.
send_events as (
    select distinct
        email_sends.campaign_send_id,
        email_events.event_type
    from email_sends
    inner join email_events on email_sends.campaign_send_id = email_events.campaign_send_id
    where cast(email_events.occurred_at as date) <= email_sends.as_of_date
),

send_flags as (
    select
        email_sends.customer_id,
        email_sends.campaign_send_id,
        -- An open or a click proves delivery: many email logs record no delivered event.
        count(*) filter (
            where send_events.event_type in ('delivered', 'opened', 'clicked')
        ) > 0 as is_delivered,
        count(*) filter (where send_events.event_type = 'opened') > 0 as is_opened,
        count(*) filter (where send_events.event_type = 'clicked') > 0 as is_clicked,
        count(*) filter (where send_events.event_type = 'unsubscribed') > 0 as is_unsubscribed
    from email_sends
    left join send_events on email_sends.campaign_send_id = send_events.campaign_send_id
    group by all
),

final as (
    select
        customer_id,
        count(*) as email_send_count,
        count(*) filter (where is_delivered) as email_delivered_count,
        count(*) filter (where is_delivered and is_opened) as email_opened_count,
        count(*) filter (where is_delivered and is_clicked) as email_clicked_count,
        bool_or(is_unsubscribed) as has_unsubscribed,
        {{ safe_divide(
            'count(*) filter (where is_delivered and is_opened)',
            'count(*) filter (where is_delivered)'
        ) }} as email_open_rate,
        {{ safe_divide(
            'count(*) filter (where is_delivered and is_clicked)',
            'count(*) filter (where is_delivered)'
        ) }} as email_click_rate
    from send_flags
    group by all
)

select * from final
