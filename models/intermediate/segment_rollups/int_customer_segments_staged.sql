{{
    config(
        pre_hook=before_begin("{{ prepare_history() }}"),
        post_hook="{{ check_snapshot_replacement() }}",
    )
}}

with

memberships as (
    select * from {{ ref('dim_customer_segments') }}
),

customer_features as (
    select * from {{ ref('fct_customer_features') }}
),

-- What the memberships were computed from: every column of every customer's features.
features_fingerprints as (
    select
        as_of_date,
        {{ features_fingerprint(ref('fct_customer_features')) }} as _features_fingerprint
    from customer_features
    group by all
),

snapshot_rows as (
    select
        as_of_date,
        customer_id,
        'kmeans' as segmentation,
        segment_id,
        _model_version,
        current_timestamp as _scored_at
    from memberships
    -- No k-means segment without a fitted model.
    where segment_id is not null
    union all
    select
        as_of_date,
        customer_id,
        'rfm' as segmentation,
        rfm_segment_id as segment_id,
        null as _model_version,
        current_timestamp as _scored_at
    from memberships
),

final as (
    select
        snapshot_rows.*,
        features_fingerprints._features_fingerprint
    from snapshot_rows
    inner join features_fingerprints on snapshot_rows.as_of_date = features_fingerprints.as_of_date
)

select * from final
