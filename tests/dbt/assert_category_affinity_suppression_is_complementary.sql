-- Privacy: fails with each segment, and each category within a segmentation, of
-- fct_segment_category_affinity that has exactly one suppressed cell among published ones.
-- Its cells add up to the segment's totals and to the category's in the base, so such a cell
-- would be the total less the others (see the mart's description).
with

category_affinity as (
    select * from {{ ref('fct_segment_category_affinity') }}
),

partitions as (
    select
        'segment' as partition_kind,
        segmentation,
        cast(segment_id as varchar) as partition_value,
        count(*) filter (where is_suppressed) as suppressed_count,
        count(*) filter (where not is_suppressed) as published_count
    from category_affinity
    group by all
    union all
    select
        'category' as partition_kind,
        segmentation,
        category as partition_value,
        count(*) filter (where is_suppressed) as suppressed_count,
        count(*) filter (where not is_suppressed) as published_count
    from category_affinity
    group by all
)

select *
from partitions
where suppressed_count = 1 and published_count > 0
