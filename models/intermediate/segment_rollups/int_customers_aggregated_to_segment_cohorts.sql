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

cohort_members as (
    select
        customer_id,
        segmentation,
        segment_id,
        as_of_date,
        cast({{ dbt.date_trunc('month', 'signup_date') }} as date) as acquisition_month
    from memberships
    -- Without a signup date (a snapshot without one) a customer is in no cohort.
    where signup_date is not null
),

cohorts as (
    select
        segmentation,
        segment_id,
        acquisition_month,
        any_value(as_of_date) as as_of_date,
        count(*) as cohort_customer_count
    from cohort_members
    group by all
),

spine_bounds as (
    select
        min(cohort_members.acquisition_month) as first_month,
        any_value(as_of_dates.as_of_date) as as_of_date
    from cohort_members
    cross join as_of_dates
),

months as (
    {{ month_spine('spine_bounds', 'first_month', 'as_of_date') }}
),

-- Every cohort gets a row for each month from its acquisition month to the as-of month,
-- active customers or not.
cohort_months as (
    select
        cohorts.*,
        months.month_start_date as activity_month,
        {{ dbt.datediff('cohorts.acquisition_month', 'months.month_start_date', 'month') }}
            as months_since_acquisition
    from cohorts
    inner join months on cohorts.acquisition_month <= months.month_start_date
),

customer_active_months as (
    select distinct
        orders.customer_id,
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as activity_month
    from orders
    cross join as_of_dates
    where {{ is_kept_order('orders', 'as_of_dates.as_of_date') }}
),

active_counts as (
    select
        cohort_members.segmentation,
        cohort_members.segment_id,
        cohort_members.acquisition_month,
        customer_active_months.activity_month,
        count(*) as active_customer_count
    from cohort_members
    inner join customer_active_months
        on cohort_members.customer_id = customer_active_months.customer_id
    group by all
),

final as (
    select
        cohort_months.segmentation,
        cohort_months.segment_id,
        cohort_months.acquisition_month,
        cohort_months.months_since_acquisition,
        cohort_months.activity_month,
        cohort_months.as_of_date,
        cohort_months.cohort_customer_count,
        coalesce(active_counts.active_customer_count, 0) as active_customer_count
    from cohort_months
    left join active_counts
        on
            cohort_months.segmentation = active_counts.segmentation
            and cohort_months.segment_id = active_counts.segment_id
            and cohort_months.acquisition_month = active_counts.acquisition_month
            and cohort_months.activity_month = active_counts.activity_month
)

select * from final
