with

snapshots as (
    select * from {{ ref('int_customer_segments_snapshotted') }}
),

runs as (
    select * from {{ ref('int_segment_runs_sequenced') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

latest_run as (
    select max(run_number) as run_number
    from runs
),

numbered as (
    select
        snapshots.customer_id,
        snapshots.segmentation,
        snapshots.segment_id,
        snapshots.as_of_date,
        runs.run_number
    from snapshots
    inner join runs on snapshots.as_of_date = runs.as_of_date
),

-- A new interval starts when the segment changes or the customer was absent from the
-- previous run.
interval_starts as (
    select
        *,
        case
            when
                lag(segment_id) over customer_runs = segment_id
                and lag(run_number) over customer_runs = run_number - 1
                then 0
            else 1
        end as is_interval_start
    from numbered
    window customer_runs as (partition by customer_id, segmentation order by run_number)
),

intervals_numbered as (
    select
        *,
        sum(is_interval_start) over (
            partition by customer_id, segmentation
            order by run_number
            rows between unbounded preceding and current row
        ) as interval_number
    from interval_starts
),

intervals as (
    select
        customer_id,
        segmentation,
        interval_number,
        any_value(segment_id) as segment_id,
        min(as_of_date) as valid_from,
        max(as_of_date) as last_seen_as_of_date,
        max(run_number) as last_run_number,
        count(*) as run_count
    from intervals_numbered
    group by all
),

final as (
    select
        cast(intervals.customer_id as bigint) as customer_id,
        cast(intervals.segmentation as varchar) as segmentation,
        cast(intervals.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(intervals.valid_from as date) as valid_from,
        cast(last_runs.next_as_of_date as date) as valid_to,
        cast(intervals.last_seen_as_of_date as date) as last_seen_as_of_date,
        cast(intervals.run_count as bigint) as run_count,
        cast(intervals.last_run_number = latest_run.run_number as boolean) as is_current
    from intervals
    cross join latest_run
    inner join runs as last_runs on intervals.last_run_number = last_runs.run_number
    left join segments
        on
            intervals.segmentation = segments.segmentation
            and intervals.segment_id = segments.segment_id
)

select * from final
