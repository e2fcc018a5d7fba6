with

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

-- Whole years, from the year of the first activity in the data to the year of the as-of
-- date, so that a month, quarter or year on the spine is never cut short.
bounds as (
    select
        cast({{ dbt.date_trunc('year', 'data_start_date') }} as date) as first_day,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd(
                'year', 1, dbt.date_trunc('year', 'as_of_date')
            )) }} as date
        ) as last_day
    from as_of_dates
),

days as (
    {{ day_spine('bounds', 'first_day', 'last_day') }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
