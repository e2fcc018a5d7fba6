with

campaigns as (
    select * from {{ ref('int_campaigns_canonical') }}
),

campaign_sends as (
    select * from {{ ref('int_campaign_sends_canonical') }}
),

email_events as (
    select * from {{ ref('int_email_events_canonical') }}
),

memberships as (
    select * from {{ ref('int_customer_segment_memberships') }}
),

attributed_orders as (
    select * from {{ ref('int_orders_attributed_to_campaigns') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- Sends after the as-of date have not happened yet for this build. A campaign response
-- without a date (an offer and its answer from a customer snapshot) counts at every date.
sends_as_of as (
    select
        campaign_sends.campaign_send_id,
        campaign_sends.campaign_id,
        campaign_sends.customer_id,
        campaign_sends.is_accepted,
        as_of_dates.as_of_date
    from campaign_sends
    cross join as_of_dates
    where coalesce(cast(campaign_sends.sent_at as date) <= as_of_dates.as_of_date, true)
),

-- Opened and clicked by the as-of date: the events are summed up per send before they meet
-- the sends (grouping every send by all its columns was most of the model's time).
send_events as (
    select
        email_events.campaign_send_id,
        as_of_dates.as_of_date,
        count(*) filter (where email_events.event_type = 'opened') > 0 as is_opened,
        count(*) filter (where email_events.event_type = 'clicked') > 0 as is_clicked
    from email_events
    cross join as_of_dates
    where cast(email_events.occurred_at as date) <= as_of_dates.as_of_date
    group by all
),

send_flags as (
    select
        sends_as_of.campaign_send_id,
        sends_as_of.campaign_id,
        sends_as_of.customer_id,
        sends_as_of.is_accepted,
        sends_as_of.as_of_date,
        coalesce(send_events.is_opened, false) as is_opened,
        coalesce(send_events.is_clicked, false) as is_clicked
    from sends_as_of
    left join send_events
        on
            sends_as_of.campaign_send_id = send_events.campaign_send_id
            and sends_as_of.as_of_date = send_events.as_of_date
),

send_conversions as (
    select
        campaign_send_id,
        count(*) as conversion_count,
        sum(net_amount) as attributed_revenue
    from attributed_orders
    group by all
),

-- Contacts are sends and offers (campaign responses): the cost is shared over both.
campaign_totals as (
    select
        campaigns.campaign_id,
        campaigns.cost as campaign_cost,
        count(*) as campaign_contact_count
    from campaigns
    inner join sends_as_of on campaigns.campaign_id = sends_as_of.campaign_id
    group by all
),

per_segment as (
    select
        send_flags.campaign_id,
        memberships.segmentation,
        memberships.segment_id,
        any_value(send_flags.as_of_date) as as_of_date,
        count(*) as contact_count,
        -- A campaign response is an offer, not a message sent: it has no opens or clicks.
        count(*) filter (where send_flags.is_accepted is null) as send_count,
        count(*) filter (where send_flags.is_opened) as opened_send_count,
        count(*) filter (where send_flags.is_clicked) as clicked_send_count,
        count(send_flags.is_accepted) as responded_send_count,
        count(*) filter (where send_flags.is_accepted) as accepted_send_count,
        count(distinct send_flags.customer_id) as customer_count,
        coalesce(sum(send_conversions.conversion_count), 0) as conversion_count,
        coalesce(sum(send_conversions.attributed_revenue), 0) as attributed_revenue
    from send_flags
    inner join memberships on send_flags.customer_id = memberships.customer_id
    left join send_conversions
        on send_flags.campaign_send_id = send_conversions.campaign_send_id
    group by all
),

-- The campaign's cost shared over all its contacts by the as-of date, pro rata.
final as (
    select
        per_segment.*,
        campaign_totals.campaign_contact_count,
        campaign_totals.campaign_cost,
        campaign_totals.campaign_cost * per_segment.contact_count
        / campaign_totals.campaign_contact_count as allocated_cost
    from per_segment
    inner join campaign_totals on per_segment.campaign_id = campaign_totals.campaign_id
)

select * from final
