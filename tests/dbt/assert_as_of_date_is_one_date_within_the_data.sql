-- Fails when the as-of date is not a single date between the first and last activity dates:
-- features as of a date outside the data would silently describe nobody or everybody.
with

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

checks as (
    select
        count(*) as row_count,
        count(*) filter (
            where as_of_date between data_start_date and data_end_date
        ) as rows_within_data
    from as_of_dates
)

select *
from checks
where row_count != 1 or rows_within_data != 1
