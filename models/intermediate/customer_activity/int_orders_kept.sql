{#- The orders that count as revenue as of the as-of date (is_kept_order), for readers that
    cannot call a macro: the Python CLV model reads its orders here. -#}

with

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

final as (
    select
        orders.*,
        as_of_dates.as_of_date
    from orders
    cross join as_of_dates
    where {{ is_kept_order('orders', 'as_of_dates.as_of_date') }}
)

select * from final
