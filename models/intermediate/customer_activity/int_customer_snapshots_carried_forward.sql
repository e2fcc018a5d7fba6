{#- Precomputed behaviour of a customer snapshot, as of the as-of date. -#}

with

behaviour as (
    select * from {{ ref('int_customer_behaviour_canonical') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- A snapshot taken after the as-of date is not known yet on it.
final as (
    select
        behaviour.customer_id,
        as_of_dates.as_of_date,
        behaviour.snapshot_date,
        -- The last purchase is as old at the as-of date as it was at the snapshot, plus the
        -- days between the two.
        behaviour.recency_days
        + {{ dbt.datediff('behaviour.snapshot_date', 'as_of_dates.as_of_date', 'day') }}
            as recency_days,
        cast(
            {{ dbt.dateadd(
                'day', '-1 * cast(behaviour.recency_days as integer)', 'behaviour.snapshot_date'
            ) }}
            as date
        ) as last_order_date,
        behaviour.order_count,
        behaviour.order_count - coalesce(behaviour.returned_order_count, 0) as kept_order_count,
        behaviour.returned_order_count,
        behaviour.discounted_order_count,
        behaviour.monetary_value,
        behaviour.web_order_count,
        behaviour.app_order_count,
        behaviour.store_order_count
    from behaviour
    cross join as_of_dates
    where behaviour.snapshot_date <= as_of_dates.as_of_date
)

select * from final
