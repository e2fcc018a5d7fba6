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

run_pairs as (
    select
        as_of_date as from_as_of_date,
        next_as_of_date as to_as_of_date
    from runs
    where next_as_of_date is not null
),

members_before as (
    select
        run_pairs.from_as_of_date,
        run_pairs.to_as_of_date,
        snapshots.customer_id,
        snapshots.segmentation,
        snapshots.segment_id
    from run_pairs
    inner join snapshots on run_pairs.from_as_of_date = snapshots.as_of_date
),

members_after as (
    select
        run_pairs.from_as_of_date,
        run_pairs.to_as_of_date,
        snapshots.customer_id,
        snapshots.segmentation,
        snapshots.segment_id
    from run_pairs
    inner join snapshots on run_pairs.to_as_of_date = snapshots.as_of_date
),

-- Absent before: the customer entered (signed up); absent after: the customer exited.
moves as (
    select
        coalesce(members_before.segmentation, members_after.segmentation) as segmentation,
        coalesce(members_before.from_as_of_date, members_after.from_as_of_date)
            as from_as_of_date,
        coalesce(members_before.to_as_of_date, members_after.to_as_of_date) as to_as_of_date,
        members_before.segment_id as from_segment_id,
        members_after.segment_id as to_segment_id
    from members_before
    full outer join members_after
        on
            members_before.from_as_of_date = members_after.from_as_of_date
            and members_before.customer_id = members_after.customer_id
            and members_before.segmentation = members_after.segmentation
),

counted as (
    select
        segmentation,
        from_as_of_date,
        to_as_of_date,
        from_segment_id,
        to_segment_id,
        count(*) as customer_count
    from moves
    group by all
),

final as (
    select
        cast(counted.segmentation as varchar) as segmentation,
        cast(counted.from_as_of_date as date) as from_as_of_date,
        cast(counted.to_as_of_date as date) as to_as_of_date,
        cast(counted.from_segment_id as integer) as from_segment_id,
        cast(from_segments.segment_name as varchar) as from_segment_name,
        cast(counted.to_segment_id as integer) as to_segment_id,
        cast(to_segments.segment_name as varchar) as to_segment_name,
        cast(
            case
                when counted.from_segment_id is null then 'entered'
                when counted.to_segment_id is null then 'exited'
                when counted.from_segment_id = counted.to_segment_id then 'stayed'
                else 'moved'
            end as varchar
        ) as transition_type,
        cast(counted.customer_count as bigint) as customer_count
    from counted
    left join segments as from_segments
        on
            counted.segmentation = from_segments.segmentation
            and counted.from_segment_id = from_segments.segment_id
    left join segments as to_segments
        on
            counted.segmentation = to_segments.segmentation
            and counted.to_segment_id = to_segments.segment_id
)

select * from final
