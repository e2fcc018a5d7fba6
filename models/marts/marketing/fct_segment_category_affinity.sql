{{ config(post_hook="{{ warn_if_no_category_affinity() }}") }}
{%- set min_buyers = setting('category_affinity_min_buyer_count') -%}
{%- set key_columns = ['segmentation', 'segment_id', 'category', 'as_of_date'] -%}
{%- set metric_columns = [
    'segment_customer_count',
    'buyer_count',
    'buyer_share',
    'order_line_count',
    'quantity',
    'revenue',
    'category_revenue_share',
    'base_category_revenue_share',
    'lift',
] -%}

with

segment_categories as (
    select * from {{ ref('int_order_lines_aggregated_to_segment_categories') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

-- Affinity needs something to compare: a base with a single category (a source without
-- categories names one for all its products) gives every segment a lift of 1. No rows then;
-- the post-hook says so.
comparable as (
    select
        {{ key_columns | join(', ') }},
        {{ metric_columns | join(', ') }}
    from segment_categories
    where base_category_count >= 2
),

-- Privacy, in three passes of suppress_small_groups, cells sized by their buyers. The
-- categories of a segment add up to its totals (its revenue is in fct_segment_kpis), and
-- the segments of a category to the base's (revenue x base_category_revenue_share): a single
-- small cell of either would be the total less the others. Each pass takes the cells nulled
-- before it as small, so it suppresses a second cell where the last left one alone.
by_segment as (
    {{ suppress_small_groups(
        'comparable', key_columns, metric_columns, 'buyer_count', ['segmentation', 'segment_id'],
    ) }}
),

by_segment_cells as (
    select
        {{ key_columns | join(', ') }},
        {{ metric_columns | join(', ') }}
    from by_segment
),

by_category as (
    {{ suppress_small_groups(
        'by_segment_cells', key_columns, metric_columns, 'buyer_count', ['segmentation', 'category'],
    ) }}
),

by_category_cells as (
    select
        {{ key_columns | join(', ') }},
        {{ metric_columns | join(', ') }}
    from by_category
),

suppressed as (
    {{ suppress_small_groups(
        'by_category_cells', key_columns, metric_columns, 'buyer_count', ['segmentation', 'segment_id'],
    ) }}
),

-- Categories to cross-sell first: by lift among the published cells bought by at least
-- var('category_affinity_min_buyer_count') of the segment's customers.
ranked as (
    select
        *,
        case
            when not is_suppressed and buyer_count >= {{ min_buyers }}
                then row_number() over (
                    partition by
                        segmentation,
                        segment_id,
                        not is_suppressed and buyer_count >= {{ min_buyers }}
                    order by lift desc nulls last, revenue desc, category asc
                )
        end as affinity_rank
    from suppressed
),

final as (
    select
        cast(ranked.segmentation as varchar) as segmentation,
        cast(ranked.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(ranked.category as varchar) as category,
        cast(ranked.as_of_date as date) as as_of_date,
        cast(ranked.segment_customer_count as bigint) as segment_customer_count,
        cast(ranked.buyer_count as bigint) as buyer_count,
        cast(ranked.buyer_share as double) as buyer_share,
        cast(ranked.order_line_count as bigint) as order_line_count,
        cast(ranked.quantity as bigint) as quantity,
        cast(ranked.revenue as decimal(18, 2)) as revenue,
        cast(ranked.category_revenue_share as double) as category_revenue_share,
        cast(ranked.base_category_revenue_share as double) as base_category_revenue_share,
        cast(ranked.lift as double) as lift,
        cast(ranked.affinity_rank as integer) as affinity_rank,
        cast(ranked.is_suppressed as boolean) as is_suppressed
    from ranked
    left join segments
        on
            ranked.segmentation = segments.segmentation
            and ranked.segment_id = segments.segment_id
)

select * from final
