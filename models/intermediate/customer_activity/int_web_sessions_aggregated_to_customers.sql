with

web_sessions as (
    select * from {{ ref('int_web_sessions_canonical') }}
),

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- A session converts only if its order was placed by the as-of date too (a session late on
-- the as-of day whose order lands after midnight is not yet a conversion) and was not
-- cancelled, the same orders the order features count.
sessions_as_of as (
    select
        web_sessions.customer_id,
        web_sessions.pages_viewed,
        coalesce(
            {{ is_placed_order('orders', 'as_of_dates.as_of_date') }}, false
        ) as is_converted
    from web_sessions
    cross join as_of_dates
    left join orders on web_sessions.converted_order_id = orders.order_id
    where cast(web_sessions.started_at as date) <= as_of_dates.as_of_date
),

final as (
    select
        customer_id,
        count(*) as session_count,
        count(*) filter (where is_converted) as converted_session_count,
        avg(pages_viewed) as average_pages_per_session,
        {{ safe_divide('count(*) filter (where is_converted)', 'count(*)') }}
            as session_conversion_rate
    from sessions_as_of
    group by all
)

select * from final
