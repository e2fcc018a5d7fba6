-- Fails with each as-of date, segmentation and segment whose change feed does not account
-- for its membership: members at a kept as-of date = members at the previous one (none before
-- the first) + customers who entered it at that date - customers who exited it.
with

changes as (
    select * from {{ ref('fct_customer_segment_changes') }}
),

snapshots as (
    select * from {{ ref('int_customer_segments_snapshotted') }}
),

runs as (
    select * from {{ ref('int_segment_runs_sequenced') }}
),

memberships as (
    select
        as_of_date,
        segmentation,
        segment_id,
        count(*) as customer_count
    from snapshots
    group by all
),

change_counts as (
    select
        change_as_of_date as as_of_date,
        segmentation,
        segment_id,
        count(*) filter (where change_type = 'entered') as entered_count,
        count(*) filter (where change_type = 'exited') as exited_count
    from changes
    group by all
),

-- Every segment with members at a date or at the previous one, or with changes at it.
segment_dates as (
    select
        as_of_date,
        segmentation,
        segment_id
    from memberships
    union
    select
        runs.as_of_date,
        memberships.segmentation,
        memberships.segment_id
    from memberships
    inner join runs on memberships.as_of_date = runs.previous_as_of_date
    union
    select
        as_of_date,
        segmentation,
        segment_id
    from change_counts
),

compared as (
    select
        segment_dates.as_of_date,
        segment_dates.segmentation,
        segment_dates.segment_id,
        coalesce(members_now.customer_count, 0) as customers_now,
        coalesce(members_before.customer_count, 0) as customers_before,
        coalesce(change_counts.entered_count, 0) as entered_count,
        coalesce(change_counts.exited_count, 0) as exited_count
    from segment_dates
    left join runs on segment_dates.as_of_date = runs.as_of_date
    left join memberships as members_now
        on
            segment_dates.as_of_date = members_now.as_of_date
            and segment_dates.segmentation = members_now.segmentation
            and segment_dates.segment_id = members_now.segment_id
    left join memberships as members_before
        on
            runs.previous_as_of_date = members_before.as_of_date
            and segment_dates.segmentation = members_before.segmentation
            and segment_dates.segment_id = members_before.segment_id
    left join change_counts
        on
            segment_dates.as_of_date = change_counts.as_of_date
            and segment_dates.segmentation = change_counts.segmentation
            and segment_dates.segment_id = change_counts.segment_id
)

select *
from compared
where customers_now != customers_before + entered_count - exited_count
