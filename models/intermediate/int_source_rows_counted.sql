{#- Raw rows per source table and outcome (kept, or a quarantine reason), for the selected
    source_system. -#}
{%- if source_system() == 'online_retail' %}

with

invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

final as (
    select
        'online_retail' as source_name,
        'invoice_lines' as source_table,
        coalesce(quarantine_reason, 'kept') as row_outcome,
        cast(count(*) as bigint) as row_count,
        sum(quantity * price) as row_amount
    from invoice_lines
    group by all
)

select * from final

{%- else %}

with

{% for table in shop_tables() %}
{{ table }}_classified as (
    select * from {{ ref('stg_shop__' ~ table ~ '_classified') }}
),

{% endfor %}

classified_rows as (
    {%- for table in shop_tables() %}
    select
        source_table,
        quarantine_reason,
        row_amount
    from {{ table }}_classified
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Every table gets a 'kept' row, even when none of its rows is kept.
source_tables as (
    {%- for table in shop_tables() %}
    select '{{ table }}' as source_table
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

outcomes as (
    select
        source_table,
        coalesce(quarantine_reason, 'kept') as row_outcome,
        count(*) as row_count,
        sum(row_amount) as row_amount
    from classified_rows
    group by all
    union all
    select
        source_table,
        'kept' as row_outcome,
        0 as row_count,
        null as row_amount
    from source_tables
),

final as (
    select
        'shop' as source_name,
        source_table,
        row_outcome,
        cast(sum(row_count) as bigint) as row_count,
        sum(row_amount) as row_amount
    from outcomes
    group by all
)

select * from final

{%- endif %}
