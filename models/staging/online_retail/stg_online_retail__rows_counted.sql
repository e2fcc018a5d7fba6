{#- One row per outcome (kept, or a quarantine reason) of the raw invoice lines: what the
    quarantine summary reports for this hand-written source. -#}
{{ config(enabled=source_staging() == 'online_retail') }}

with

invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

final as (
    select
        'invoice_lines' as source_table,
        coalesce(quarantine_reason, 'kept') as row_outcome,
        cast(count(*) as bigint) as row_count,
        {{ exact_sum('quantity * price') }} as row_amount
    from invoice_lines
    group by all
)

select * from final
