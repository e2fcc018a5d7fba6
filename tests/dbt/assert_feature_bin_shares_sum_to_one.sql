-- Fails with each model version x feature whose bins do not partition the training customers:
-- training shares that do not sum to 1, or bins that do not run from minus to plus infinity.
with

feature_bins as (
    select * from {{ ref('int_segment_model_feature_bins') }}
),

feature_totals as (
    select
        _model_version,
        feature_name,
        sum(training_share) as training_share_total,
        count(*) as bin_count,
        count(*) filter (where lower_bound is null) as open_below_count,
        count(*) filter (where upper_bound is null) as open_above_count
    from feature_bins
    group by all
)

select *
from feature_totals
where
    abs(training_share_total - 1) > 1e-9
    or open_below_count != 1
    or open_above_count != 1
