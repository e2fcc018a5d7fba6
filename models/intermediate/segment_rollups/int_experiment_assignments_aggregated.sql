{%- set window_days = setting('experiment_conversion_window_days') -%}

with

assignments as (
    select * from {{ ref('int_experiment_assignments_canonical') }}
),

memberships as (
    select * from {{ ref('int_customer_segment_memberships') }}
),

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- A customer assigned to an experiment more than once keeps their first assignment (earliest
-- assigned_at, then lowest assignment id): later ones may have seen the first variant already.
-- Assignments after the as-of date do not exist yet.
first_assignments as (
    select
        assignments.experiment_name,
        assignments.customer_id,
        assignments.variant,
        assignments.assigned_at,
        as_of_dates.as_of_date
    from assignments
    cross join as_of_dates
    where cast(assignments.assigned_at as date) <= as_of_dates.as_of_date
    qualify
        row_number() over (
            partition by assignments.experiment_name, assignments.customer_id
            order by assignments.assigned_at, assignments.experiment_assignment_id
        ) = 1
),

-- Orders as the as-of date sees them: placed by then, not cancelled, not returned by then.
kept_orders as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.net_amount
    from orders
    cross join as_of_dates
    where {{ is_kept_order('orders', 'as_of_dates.as_of_date') }}
),

customer_outcomes as (
    select
        first_assignments.experiment_name,
        first_assignments.customer_id,
        first_assignments.variant,
        count(kept_orders.order_id) > 0 as is_converted,
        coalesce(sum(kept_orders.net_amount), 0) as revenue
    from first_assignments
    left join kept_orders
        on
            first_assignments.customer_id = kept_orders.customer_id
            and first_assignments.assigned_at <= kept_orders.ordered_at
            and {{ dbt.dateadd('day', window_days, 'first_assignments.assigned_at') }}
            > kept_orders.ordered_at
    group by all
),

final as (
    select
        customer_outcomes.experiment_name,
        memberships.segmentation,
        memberships.segment_id,
        customer_outcomes.variant,
        count(*) as customer_count,
        count(*) filter (where customer_outcomes.is_converted) as conversion_count,
        cast(sum(customer_outcomes.revenue) as decimal(18, 2)) as revenue_sum,
        -- Squared and summed as decimals, exactly: a sum of doubles depends on the order
        -- DuckDB's threads add them in, and the revenue p-values moved in the last digits.
        cast(
            sum(customer_outcomes.revenue * customer_outcomes.revenue) as double
        ) as revenue_sum_squares,
        {{ window_days }} as conversion_window_days
    from customer_outcomes
    inner join memberships
        on customer_outcomes.customer_id = memberships.customer_id
    group by all
)

select * from final
