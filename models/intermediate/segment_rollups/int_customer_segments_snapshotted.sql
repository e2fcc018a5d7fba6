{{
    config(
        materialized='view',
        pre_hook=before_begin("{{ prepare_history() }}"),
    )
}}

{#- The kept snapshots (history.segment_snapshots), none yet in a new warehouse. -#}
{%- set kept = kept_history_relation('segment_snapshots') -%}

with

staged_snapshot as (
    select * from {{ ref('int_customer_segments_staged') }}
),

{% if kept is not none -%}
kept_snapshots as (
    select * from {{ kept }}
),
{%- endif %}

-- This build's snapshot replaces a kept one of the same as-of date (check_snapshot_replacement
-- stopped the build if it was computed from other data).
final as (
    select * from staged_snapshot
    {%- if kept is not none %}
    union all by name
    select * from kept_snapshots
    where as_of_date not in (select staged_snapshot.as_of_date from staged_snapshot)
    {%- endif %}
)

select * from final
