{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        full_refresh=false,
    )
}}

with

memberships as (
    select * from {{ ref('dim_customer_segments') }}
),

final as (
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
)

select * from final
