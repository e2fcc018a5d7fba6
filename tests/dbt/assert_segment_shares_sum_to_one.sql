-- Fails when customer or revenue shares across segments do not add up to 1.
with

segment_kpis as (
    select * from {{ ref('fct_segment_kpis') }}
),

share_totals as (
    select
        sum(customer_share) as customer_share_total,
        coalesce(sum(revenue_share), 1) as revenue_share_total
    from segment_kpis
)

select *
from share_totals
where
    abs(customer_share_total - 1) > 1e-9
    or abs(revenue_share_total - 1) > 1e-9
