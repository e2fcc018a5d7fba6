{{
    config(
        pre_hook=before_begin("{{ prepare_history() }}"),
        post_hook="{{ check_snapshot_replacement() }}",
    )
}}

with

memberships as (
    select * from {{ ref('int_customer_segment_memberships') }}
),

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

-- What the memberships were computed from: every column of every customer's features.
features_fingerprints as (
    select
        as_of_date,
        {{ features_fingerprint(ref('int_customer_features_combined')) }} as _features_fingerprint
    from customer_features
    group by all
),

snapshot_rows as (
    select
        as_of_date,
        customer_id,
        segmentation,
        segment_id,
        _model_version,
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
