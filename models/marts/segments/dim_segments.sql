{#- The segment catalogue of both segmentations (int_segments_named): its published face. -#}

with

segments as (
    select * from {{ ref('int_segments_named') }}
),

final as (
    select * from segments
)

select * from final
