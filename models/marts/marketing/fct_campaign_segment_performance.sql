with

campaign_segments as (
    select * from {{ ref('int_campaign_sends_aggregated_to_segments') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_canonical') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

-- Only email carries opens and clicks, so rates and returns are undefined (null) for sms
-- and push rather than 0 or -100 %.
performance as (
    select
        cast(campaign_segments.campaign_id as bigint) as campaign_id,
        cast(campaigns.campaign_name as varchar) as campaign_name,
        cast(campaigns.channel as varchar) as channel,
        cast(campaign_segments.segmentation as varchar) as segmentation,
        cast(campaign_segments.segment_id as integer) as segment_id,
        cast(segments.segment_name as varchar) as segment_name,
        cast(campaign_segments.as_of_date as date) as as_of_date,
        cast(campaign_segments.send_count as bigint) as send_count,
        cast(campaign_segments.opened_send_count as bigint) as opened_send_count,
        cast(campaign_segments.clicked_send_count as bigint) as clicked_send_count,
        cast(
            case
                when campaigns.channel = 'email'
                    then {{ safe_divide(
                        'campaign_segments.opened_send_count', 'campaign_segments.send_count'
                    ) }}
            end as double
        ) as open_rate,
        cast(
            case
                when campaigns.channel = 'email'
                    then {{ safe_divide(
                        'campaign_segments.clicked_send_count', 'campaign_segments.send_count'
                    ) }}
            end as double
        ) as click_through_rate,
        cast(campaign_segments.conversion_count as bigint) as conversion_count,
        cast(campaign_segments.attributed_revenue as decimal(18, 2)) as attributed_revenue,
        cast(campaign_segments.allocated_cost as decimal(18, 2)) as allocated_cost,
        cast(
            case
                when campaigns.channel = 'email'
                    then {{ safe_divide(
                        'campaign_segments.attributed_revenue - campaign_segments.allocated_cost',
                        'campaign_segments.allocated_cost'
                    ) }}
            end as double
        ) as roi,
        cast(
            case
                when campaigns.channel = 'email'
                    then {{ safe_divide(
                        'campaign_segments.attributed_revenue', 'campaign_segments.allocated_cost'
                    ) }}
            end as double
        ) as roas,
        cast(campaign_segments.customer_count as bigint) as customer_count,
        cast(campaign_segments.responded_send_count as bigint) as offer_count,
        cast(campaign_segments.accepted_send_count as bigint) as accepted_offer_count,
        cast(
            {{ safe_divide(
                'campaign_segments.accepted_send_count', 'campaign_segments.responded_send_count'
            ) }} as double
        ) as response_rate
    from campaign_segments
    inner join campaigns on campaign_segments.campaign_id = campaigns.campaign_id
    left join segments
        on
            campaign_segments.segmentation = segments.segmentation
            and campaign_segments.segment_id = segments.segment_id
),

-- A campaign's cells in one segmentation add up to the campaign's totals, so that is the
-- partition in which a small cell must not be recoverable by subtraction.
suppressed as (
    {{ suppress_small_groups(
        'performance',
        [
            'campaign_id', 'campaign_name', 'channel', 'segmentation', 'segment_id',
            'segment_name', 'as_of_date',
        ],
        [
            'send_count', 'opened_send_count', 'clicked_send_count', 'open_rate',
            'click_through_rate', 'conversion_count', 'attributed_revenue', 'allocated_cost',
            'roi', 'roas', 'customer_count', 'offer_count', 'accepted_offer_count',
            'response_rate',
        ],
        'customer_count',
        ['campaign_id', 'segmentation'],
    ) }}
),

final as (
    select
        campaign_id,
        campaign_name,
        channel,
        segmentation,
        segment_id,
        segment_name,
        as_of_date,
        send_count,
        opened_send_count,
        clicked_send_count,
        open_rate,
        click_through_rate,
        conversion_count,
        attributed_revenue,
        allocated_cost,
        roi,
        roas,
        customer_count,
        offer_count,
        accepted_offer_count,
        response_rate,
        is_suppressed
    from suppressed
)

select * from final
