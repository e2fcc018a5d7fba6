-- Fails with each campaign and segmentation whose segment cells (before suppression) do not
-- add up to the campaign: sends by the as-of date, the campaign's cost, and the orders and
-- revenue attributed to it. A customer missing from the current segments, or a send counted
-- in two cells, breaks it.
with

campaign_segments as (
    select * from {{ ref('int_campaign_sends_aggregated_to_segments') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_canonical') }}
),

campaign_sends as (
    select * from {{ ref('int_campaign_sends_canonical') }}
),

attributed_orders as (
    select * from {{ ref('int_orders_attributed_to_campaigns') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

campaign_send_totals as (
    select
        campaigns.campaign_id,
        campaigns.cost,
        -- Messages; campaign responses (is_accepted) are offers, counted apart.
        count(*) filter (where campaign_sends.is_accepted is null) as send_count,
        count(campaign_sends.is_accepted) as offer_count
    from campaigns
    inner join campaign_sends on campaigns.campaign_id = campaign_sends.campaign_id
    cross join as_of_dates
    -- A campaign response without a date counts at every as-of date.
    where coalesce(cast(campaign_sends.sent_at as date) <= as_of_dates.as_of_date, true)
    group by all
),

segmentations as (
    {{ current_segmentations() }}
),

attribution_totals as (
    select
        campaign_id,
        count(*) as conversion_count,
        sum(net_amount) as attributed_revenue
    from attributed_orders
    group by all
),

expected as (
    select
        campaign_send_totals.campaign_id,
        segmentations.segmentation,
        campaign_send_totals.send_count,
        campaign_send_totals.offer_count,
        campaign_send_totals.cost,
        coalesce(attribution_totals.conversion_count, 0) as conversion_count,
        coalesce(attribution_totals.attributed_revenue, 0) as attributed_revenue
    from campaign_send_totals
    cross join segmentations
    left join attribution_totals
        on campaign_send_totals.campaign_id = attribution_totals.campaign_id
),

actual as (
    select
        campaign_id,
        segmentation,
        sum(send_count) as send_count,
        sum(responded_send_count) as offer_count,
        sum(allocated_cost) as allocated_cost,
        sum(conversion_count) as conversion_count,
        sum(attributed_revenue) as attributed_revenue
    from campaign_segments
    group by all
),

compared as (
    select
        coalesce(expected.campaign_id, actual.campaign_id) as campaign_id,
        coalesce(expected.segmentation, actual.segmentation) as segmentation,
        expected.send_count as expected_send_count,
        actual.send_count as actual_send_count,
        expected.offer_count as expected_offer_count,
        actual.offer_count as actual_offer_count,
        expected.cost,
        actual.allocated_cost,
        expected.conversion_count as expected_conversion_count,
        actual.conversion_count as actual_conversion_count,
        expected.attributed_revenue as expected_attributed_revenue,
        actual.attributed_revenue as actual_attributed_revenue
    from expected
    full outer join actual
        on
            expected.campaign_id = actual.campaign_id
            and expected.segmentation = actual.segmentation
)

select *
from compared
where
    coalesce(
        expected_send_count = actual_send_count
        -- A campaign without a cost (one derived from responses) allocates none.
        and (cost is null and allocated_cost is null or abs(cost - allocated_cost) <= 0.005)
        and expected_conversion_count = actual_conversion_count
        and abs(expected_attributed_revenue - actual_attributed_revenue) <= 0.005,
        false
    ) = false
