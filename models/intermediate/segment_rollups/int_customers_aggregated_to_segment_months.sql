{%- set churn_days = setting('churn_inactivity_days') -%}

with

memberships as (
    select * from {{ ref('int_customer_segment_memberships') }}
),

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

months as (
    {{ month_spine('as_of_dates', 'data_start_date', 'as_of_date') }}
),

current_segments as (
    select distinct
        segmentation,
        segment_id,
        as_of_date
    from memberships
),

-- Every current segment gets a row for every month, activity or not.
segment_months as (
    select
        current_segments.segmentation,
        current_segments.segment_id,
        current_segments.as_of_date,
        months.month_start_date as calendar_month
    from current_segments
    cross join months
),

-- A member counts in every month from the month of their signup (signed up by its end).
-- Counted per signup month first: matching each member with each month was most of the
-- model's time.
signup_months as (
    select
        segmentation,
        segment_id,
        cast({{ dbt.date_trunc('month', 'signup_date') }} as date) as signup_month,
        count(*) as signup_count
    from memberships
    group by all
),

member_counts as (
    select
        segment_months.segmentation,
        segment_months.segment_id,
        segment_months.calendar_month,
        cast(coalesce(sum(signup_months.signup_count), 0) as bigint) as member_count
    from segment_months
    left join signup_months
        on
            segment_months.segmentation = signup_months.segmentation
            and segment_months.segment_id = signup_months.segment_id
            -- A customer without a signup date was a customer before any of the months.
            and coalesce(segment_months.calendar_month >= signup_months.signup_month, true)
    group by all
),

kept_orders as (
    select
        orders.customer_id,
        orders.order_date,
        orders.net_amount,
        as_of_dates.as_of_date,
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as calendar_month
    from orders
    cross join as_of_dates
    where {{ is_kept_order('orders', 'as_of_dates.as_of_date') }}
),

-- One row per customer and month before meeting the memberships: each segmentation joins an
-- active customer once, not once per order (decimal sums, exact in any order).
customer_months as (
    select
        customer_id,
        calendar_month,
        count(*) as order_count,
        sum(net_amount) as revenue
    from kept_orders
    group by all
),

order_totals as (
    select
        memberships.segmentation,
        memberships.segment_id,
        customer_months.calendar_month,
        -- A customer is in one segment of a segmentation: a row is an active customer.
        count(*) as active_customer_count,
        cast(sum(customer_months.order_count) as bigint) as order_count,
        sum(customer_months.revenue) as revenue
    from customer_months
    inner join memberships on customer_months.customer_id = memberships.customer_id
    group by all
),

-- A customer churns on the day their last kept order turns the threshold's days old, if
-- no kept order came in between (an order on that very day keeps them). Several orders on
-- one day count once.
order_days as (
    select distinct
        customer_id,
        order_date,
        as_of_date
    from kept_orders
),

inactivity_crossings as (
    select
        customer_id,
        as_of_date,
        cast({{ dbt.dateadd('day', churn_days, 'order_date') }} as date) as churned_date,
        lead(order_date) over (partition by customer_id order by order_date) as next_order_date
    from order_days
),

churns as (
    select
        customer_id,
        churned_date,
        cast({{ dbt.date_trunc('month', 'churned_date') }} as date) as calendar_month
    from inactivity_crossings
    where
        churned_date <= as_of_date
        and coalesce(next_order_date > churned_date, true)
),

churn_totals as (
    select
        memberships.segmentation,
        memberships.segment_id,
        churns.calendar_month,
        count(*) as newly_churned_count
    from churns
    inner join memberships on churns.customer_id = memberships.customer_id
    group by all
),

final as (
    select
        segment_months.segmentation,
        segment_months.segment_id,
        segment_months.calendar_month,
        segment_months.as_of_date,
        member_counts.member_count,
        coalesce(order_totals.active_customer_count, 0) as active_customer_count,
        coalesce(order_totals.order_count, 0) as order_count,
        coalesce(order_totals.revenue, 0) as revenue,
        coalesce(churn_totals.newly_churned_count, 0) as newly_churned_count
    from segment_months
    inner join member_counts
        on
            segment_months.segmentation = member_counts.segmentation
            and segment_months.segment_id = member_counts.segment_id
            and segment_months.calendar_month = member_counts.calendar_month
    left join order_totals
        on
            segment_months.segmentation = order_totals.segmentation
            and segment_months.segment_id = order_totals.segment_id
            and segment_months.calendar_month = order_totals.calendar_month
    left join churn_totals
        on
            segment_months.segmentation = churn_totals.segmentation
            and segment_months.segment_id = churn_totals.segment_id
            and segment_months.calendar_month = churn_totals.calendar_month
)

select * from final
