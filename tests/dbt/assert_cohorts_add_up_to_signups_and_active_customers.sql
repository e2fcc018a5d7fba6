-- Fails with each segmentation, acquisition month and month since acquisition whose
-- cohorts (before suppression) do not add up to the customers who signed up that month, or
-- whose active customers do not add up to those of them with a kept order in the month,
-- recomputed from staging.
with

cohort_months as (
    select * from {{ ref('int_customers_aggregated_to_segment_cohorts') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customers as (
    select * from {{ ref('int_customers_canonical') }}
),

orders as (
    select * from {{ ref('int_orders_canonical') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

segmentations as (
    {{ current_segmentations() }}
),

signups as (
    select
        customers.customer_id,
        date_trunc('month', customers.signup_date) as acquisition_month
    from customers
    inner join customer_segments on customers.customer_id = customer_segments.customer_id
    where customers.signup_date is not null
),

cohort_sizes as (
    select
        acquisition_month,
        count(*) as cohort_customer_count
    from signups
    group by all
),

active_customers as (
    select
        signups.acquisition_month,
        date_trunc('month', orders.order_date) as activity_month,
        count(distinct orders.customer_id) as active_customer_count
    from orders
    inner join signups on orders.customer_id = signups.customer_id
    cross join as_of_dates
    where
        orders.order_date <= as_of_dates.as_of_date
        and orders.status is distinct from 'cancelled'
        and (orders.returned_at is null or orders.returned_date > as_of_dates.as_of_date)
    group by all
),

cohort_month_starts as (
    select
        cohort_sizes.acquisition_month,
        cohort_sizes.cohort_customer_count,
        unnest(
            generate_series(
                cohort_sizes.acquisition_month,
                date_trunc('month', as_of_dates.as_of_date),
                interval 1 month
            )
        ) as activity_month
    from cohort_sizes
    cross join as_of_dates
),

expected as (
    select
        segmentations.segmentation,
        cohort_month_starts.acquisition_month,
        cohort_month_starts.activity_month,
        cohort_month_starts.cohort_customer_count,
        coalesce(active_customers.active_customer_count, 0) as active_customer_count
    from cohort_month_starts
    cross join segmentations
    left join active_customers
        on
            cohort_month_starts.acquisition_month = active_customers.acquisition_month
            and cohort_month_starts.activity_month = active_customers.activity_month
),

actual as (
    select
        segmentation,
        acquisition_month,
        activity_month,
        sum(cohort_customer_count) as cohort_customer_count,
        sum(active_customer_count) as active_customer_count
    from cohort_months
    group by all
),

compared as (
    select
        coalesce(expected.segmentation, actual.segmentation) as segmentation,
        coalesce(expected.acquisition_month, actual.acquisition_month) as acquisition_month,
        coalesce(expected.activity_month, actual.activity_month) as activity_month,
        expected.cohort_customer_count as expected_cohort_customer_count,
        actual.cohort_customer_count as actual_cohort_customer_count,
        expected.active_customer_count as expected_active_customer_count,
        actual.active_customer_count as actual_active_customer_count
    from expected
    full outer join actual
        on
            expected.segmentation = actual.segmentation
            and expected.acquisition_month = actual.acquisition_month
            and expected.activity_month = actual.activity_month
),

-- Activity outside every cohort's months (before signup, or after the as-of month) would
-- be lost without a trace: report it too.
unplaced_activity as (
    select
        null as segmentation,
        active_customers.acquisition_month,
        active_customers.activity_month,
        null as expected_cohort_customer_count,
        null as actual_cohort_customer_count,
        active_customers.active_customer_count as expected_active_customer_count,
        null as actual_active_customer_count
    from active_customers
    left join cohort_month_starts
        on
            active_customers.acquisition_month = cohort_month_starts.acquisition_month
            and active_customers.activity_month = cohort_month_starts.activity_month
    where cohort_month_starts.acquisition_month is null
)

select *
from compared
where
    coalesce(
        expected_cohort_customer_count = actual_cohort_customer_count
        and expected_active_customer_count = actual_active_customer_count,
        false
    ) = false
union all
select * from unplaced_activity
