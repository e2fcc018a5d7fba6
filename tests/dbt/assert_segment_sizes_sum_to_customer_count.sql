-- Fails when the KPI mart's segment sizes do not add up to the customers in the feature mart.
with

segment_kpis as (
    select * from {{ ref('fct_segment_kpis') }}
),

customer_features as (
    select * from {{ ref('fct_customer_features') }}
),

totals as (
    select
        (select sum(segment_kpis.customer_count) as customers from segment_kpis)
            as segment_customer_total,
        (select count(*) as customers from customer_features) as customer_total
)

select *
from totals
where segment_customer_total is distinct from customer_total
