with

snapshots as (
    select * from {{ ref('int_customer_segments_snapshotted') }}
),

run_dates as (
    select distinct as_of_date
    from snapshots
),

final as (
    select
        as_of_date,
        row_number() over (order by as_of_date) as run_number,
        lag(as_of_date) over (order by as_of_date) as previous_as_of_date,
        lead(as_of_date) over (order by as_of_date) as next_as_of_date
    from run_dates
)

select * from final
