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

segment_counts as (
    select
        as_of_date,
        segmentation,
        segment_id,
        count(*) as customer_count
    from snapshots
    group by all
),

segment_shares as (
    select
        *,
        customer_count / sum(customer_count) over (
            partition by as_of_date, segmentation
        ) as customer_share
    from segment_counts
),

-- Each run's segments next to the previous run's, including segments present in only one.
current_runs as (
    select
        segment_shares.*,
        runs.previous_as_of_date
    from segment_shares
    inner join runs on segment_shares.as_of_date = runs.as_of_date
),

previous_runs as (
    select
        runs.as_of_date,
        segment_shares.segmentation,
        segment_shares.segment_id,
        segment_shares.customer_count,
        segment_shares.customer_share
    from runs
    inner join segment_shares on runs.previous_as_of_date = segment_shares.as_of_date
),

compared as (
    select
        coalesce(current_runs.as_of_date, previous_runs.as_of_date) as as_of_date,
        coalesce(current_runs.segmentation, previous_runs.segmentation) as segmentation,
        coalesce(current_runs.segment_id, previous_runs.segment_id) as segment_id,
        runs.previous_as_of_date,
        coalesce(current_runs.customer_count, 0) as customer_count,
        coalesce(current_runs.customer_share, 0) as customer_share,
        case
            when runs.previous_as_of_date is not null
                then coalesce(previous_runs.customer_count, 0)
        end as previous_customer_count,
        case
            when runs.previous_as_of_date is not null
                then coalesce(previous_runs.customer_share, 0)
        end as previous_customer_share
    from current_runs
    full outer join previous_runs
        on
            current_runs.as_of_date = previous_runs.as_of_date
            and current_runs.segmentation = previous_runs.segmentation
            and current_runs.segment_id = previous_runs.segment_id
    inner join runs
        on coalesce(current_runs.as_of_date, previous_runs.as_of_date) = runs.as_of_date
),

final as (
    select
        cast(compared.as_of_date as date) as as_of_date,
        cast(compared.segmentation as varchar) as segmentation,
        cast(compared.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(compared.customer_count as bigint) as customer_count,
        cast(compared.customer_share as double) as customer_share,
        cast(compared.previous_as_of_date as date) as previous_as_of_date,
        cast(compared.previous_customer_count as bigint) as previous_customer_count,
        cast(compared.previous_customer_share as double) as previous_customer_share,
        cast(
            compared.customer_share - compared.previous_customer_share as double
        ) as customer_share_change,
        cast(
            coalesce(
                abs(compared.customer_share - compared.previous_customer_share)
                > {{ setting('segment_drift_max_share_change') }},
                false
            ) as boolean
        ) as is_drifted
    from compared
    left join segments
        on
            compared.segmentation = segments.segmentation
            and compared.segment_id = segments.segment_id
)

select * from final
