with

intervals as (
    select * from {{ ref('fct_customer_segment_history') }}
),

runs as (
    select * from {{ ref('int_segment_runs_sequenced') }}
),

-- An interval in one segment starts where the customer entered it and ends (valid_to, the
-- first as-of date seen elsewhere or not at all) where they exited it: the history mart's
-- rule, not restated here.
entries as (
    select
        intervals.customer_id,
        intervals.segmentation,
        intervals.segment_id,
        intervals.segment_name,
        'entered' as change_type,
        intervals.valid_from as change_as_of_date,
        runs.previous_as_of_date
    from intervals
    inner join runs on intervals.valid_from = runs.as_of_date
),

exits as (
    select
        customer_id,
        segmentation,
        segment_id,
        segment_name,
        'exited' as change_type,
        valid_to as change_as_of_date,
        last_seen_as_of_date as previous_as_of_date
    from intervals
    where valid_to is not null
),

changes as (
    select * from entries
    union all
    select * from exits
),

final as (
    select
        cast(customer_id as bigint) as customer_id,
        cast(segmentation as varchar) as segmentation,
        cast(change_as_of_date as date) as change_as_of_date,
        cast(change_type as varchar) as change_type,
        cast(segment_id as integer) as segment_id,
        cast(segment_name as varchar) as segment_name,
        cast(previous_as_of_date as date) as previous_as_of_date
    from changes
)

select * from final
