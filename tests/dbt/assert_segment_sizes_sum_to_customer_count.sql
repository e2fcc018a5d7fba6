-- Checked before privacy suppression (int_segment_kpis_computed).
-- Fails with each segmentation (kmeans, rfm) whose segment sizes in the KPI mart do not add
-- up to the customers in the feature mart.
with

segment_kpis as (
    select * from {{ ref('int_segment_kpis_computed') }}
),

customer_features as (
    select * from {{ ref('fct_customer_features') }}
),

segmentation_totals as (
    select
        segmentation,
        sum(customer_count) as segment_customer_total
    from segment_kpis
    group by all
),

customer_total as (
    select count(*) as customer_total
    from customer_features
),

expected_segmentations as (
    {{ current_segmentations() }}
)

select
    expected_segmentations.segmentation,
    segmentation_totals.segment_customer_total,
    customer_total.customer_total
from expected_segmentations
cross join customer_total
left join segmentation_totals
    on expected_segmentations.segmentation = segmentation_totals.segmentation
where
    coalesce(segmentation_totals.segment_customer_total = customer_total.customer_total, false)
    = false
