-- Fails with each segmentation and pair of consecutive as-of dates whose transitions do not
-- account for every customer: all but 'entered' must add up to the earlier date's membership,
-- all but 'exited' to the later date's.
with

transitions as (
    select * from {{ ref('fct_segment_transitions') }}
),

snapshots as (
    select * from {{ ref('int_customer_segments_snapshotted') }}
),

memberships as (
    select
        as_of_date,
        segmentation,
        count(*) as customer_count
    from snapshots
    group by all
),

transition_totals as (
    select
        segmentation,
        from_as_of_date,
        to_as_of_date,
        sum(customer_count) filter (where transition_type != 'entered') as leaving_total,
        sum(customer_count) filter (where transition_type != 'exited') as arriving_total
    from transitions
    group by all
)

select
    transition_totals.*,
    members_before.customer_count as customers_before,
    members_after.customer_count as customers_after
from transition_totals
inner join memberships as members_before
    on
        transition_totals.segmentation = members_before.segmentation
        and transition_totals.from_as_of_date = members_before.as_of_date
inner join memberships as members_after
    on
        transition_totals.segmentation = members_after.segmentation
        and transition_totals.to_as_of_date = members_after.as_of_date
where
    coalesce(transition_totals.leaving_total, 0) != members_before.customer_count
    or coalesce(transition_totals.arriving_total, 0) != members_after.customer_count
