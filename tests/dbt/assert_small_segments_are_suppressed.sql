-- Fails with each KPI row published for a segment smaller than var('kpi_min_group_size'),
-- or published with a metric although suppressed.
with

computed as (
    select * from {{ ref('int_segment_kpis_computed') }}
),

published as (
    select * from {{ ref('fct_segment_kpis') }}
)

select
    computed.segmentation,
    computed.segment_id,
    computed.customer_count as true_customer_count,
    published.is_suppressed
from computed
inner join published
    on
        computed.segmentation = published.segmentation
        and computed.segment_id = published.segment_id
where
    (computed.customer_count < {{ setting('kpi_min_group_size') }} and not published.is_suppressed)
    or (
        published.is_suppressed
        and (published.customer_count is not null or published.revenue is not null)
    )
