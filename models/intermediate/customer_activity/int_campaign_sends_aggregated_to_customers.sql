{%- set window_days = setting('send_conversion_window_days') -%}

with

campaign_sends as (
    select * from {{ ref('int_campaign_sends_canonical') }}
),

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- Only sends whose whole conversion window has passed by the as-of date, so recent sends do
-- not count as failures before they had their chance.
closed_sends as (
    select
        campaign_sends.campaign_send_id,
        campaign_sends.customer_id,
        campaign_sends.sent_at,
        cast(campaign_sends.sent_at as date) as sent_date
    from campaign_sends
    cross join as_of_dates
    where
        cast(campaign_sends.sent_at as date) + {{ window_days }} <= as_of_dates.as_of_date
        -- Messages sent, not offers (campaign responses, which record their own answer).
        and campaign_sends.is_accepted is null
),

converted_sends as (
    select distinct closed_sends.campaign_send_id
    from closed_sends
    inner join orders
        on
            closed_sends.customer_id = orders.customer_id
            and closed_sends.sent_at <= orders.ordered_at
            and orders.order_date <= closed_sends.sent_date + {{ window_days }}
    -- The window closed by the as-of date, so the date half of the rule holds already; the
    -- rule is applied whole so that it is written in one place (is_placed_order).
    cross join as_of_dates
    where {{ is_placed_order('orders', 'as_of_dates.as_of_date') }}
),

final as (
    select
        closed_sends.customer_id,
        count(*) as closed_send_count,
        count(converted_sends.campaign_send_id) as converted_send_count
    from closed_sends
    left join converted_sends
        on closed_sends.campaign_send_id = converted_sends.campaign_send_id
    group by all
)

select * from final
