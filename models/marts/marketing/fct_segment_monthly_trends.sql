with

segment_months as (
    select * from {{ ref('int_customers_aggregated_to_segment_months') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

trends as (
    select
        cast(segment_months.segmentation as varchar) as segmentation,
        cast(segment_months.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(segment_months.calendar_month as date) as calendar_month,
        cast(segment_months.as_of_date as date) as as_of_date,
        cast(segment_months.member_count as bigint) as member_count,
        cast(segment_months.active_customer_count as bigint) as active_customer_count,
        cast(segment_months.revenue as decimal(18, 2)) as revenue,
        cast(segment_months.order_count as bigint) as order_count,
        cast(
            {{ safe_divide('segment_months.revenue', 'segment_months.order_count') }}
            as decimal(18, 2)
        ) as average_order_value,
        cast(segment_months.newly_churned_count as bigint) as newly_churned_count
    from segment_months
    left join segments
        on
            segment_months.segmentation = segments.segmentation
            and segment_months.segment_id = segments.segment_id
),

-- A month's segments add up to the whole customer base of that month in each segmentation,
-- so that is the partition in which a small segment must not be recoverable.
suppressed as (
    {{ suppress_small_groups(
        'trends',
        ['segmentation', 'segment_id', 'segment_name', 'calendar_month', 'as_of_date'],
        [
            'member_count', 'active_customer_count', 'revenue', 'order_count',
            'average_order_value', 'newly_churned_count',
        ],
        'member_count',
        ['segmentation', 'calendar_month'],
    ) }}
),

final as (
    select
        segmentation,
        segment_id,
        segment_name,
        calendar_month,
        as_of_date,
        member_count,
        active_customer_count,
        revenue,
        order_count,
        average_order_value,
        newly_churned_count,
        is_suppressed
    from suppressed
)

select * from final
