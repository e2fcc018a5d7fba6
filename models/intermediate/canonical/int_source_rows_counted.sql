{#- Raw rows per source table and outcome (kept, or a quarantine reason). A hand-written
    staging folder counts its own (stg_<folder>__rows_counted). -#}
{{ config(post_hook="{{ check_quarantined_losses() }}") }}
{%- if source_staging() != 'mapped' %}

with

rows_counted as (
    select * from {{ ref('stg_' ~ source_staging() ~ '__rows_counted') }}
),

final as (
    select
        {{ string_literal(source_name()) }} as source_name,
        source_table,
        row_outcome,
        row_count,
        row_amount,
        -- Revenue: what the lines carry; a campaign's cost is not revenue.
        case when source_table != 'campaigns' and row_amount > 0 then row_amount end
            as revenue_amount,
        cast(0 as bigint) as nulled_attribute_count
    from rows_counted
)

select * from final

{%- else %}

with

{% for table in mapped_tables() %}
{{ table }}_classified as (
    select * from {{ ref('stg_mapped__' ~ table ~ '_classified') }}
),

{% endfor %}

identical_rows_counted as (
    select * from {{ ref('stg_mapped__identical_rows_counted') }}
),

classified_rows as (
    {%- for table in mapped_tables() %}
    select
        source_table,
        quarantine_reason,
        row_amount,
        {%- if table == 'order_lines' %}
        -- Revenue at stake: a line's amount when it is a plausible one (a line quarantined
        -- for an absurd price or quantity carries no real money).
        case
            when
                row_amount >= 0
                and coalesce(quantity, 1) between 1 and {{ setting('quarantine_max_quantity') }}
                and row_amount <= coalesce(quantity, 1) * {{ setting('quarantine_max_price') }}
                then row_amount
        end as revenue_amount
        {%- else %}
        cast(null as double) as revenue_amount
        {%- endif %},
        {{ 'attribute_issue is not null' if table in ('products', 'customers') else 'false' }}
            as has_nulled_attribute
    from {{ table }}_classified
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Every table gets a 'kept' row, even when none of its rows is kept.
source_tables as (
    {%- for table in mapped_tables() %}
    select '{{ table }}' as source_table
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if has_entity('campaign_responses') %}
    union all
    select 'campaign_responses' as source_table
    {%- endif %}
),

outcomes as (
    select
        source_table,
        coalesce(quarantine_reason, 'kept') as row_outcome,
        count(*) as row_count,
        {{ exact_sum('row_amount') }} as row_amount,
        {{ exact_sum('revenue_amount') }} as revenue_amount,
        count(*) filter (where has_nulled_attribute) as nulled_attribute_count
    from classified_rows
    group by all
    union all
    select
        source_table,
        'kept' as row_outcome,
        0 as row_count,
        null as row_amount,
        null as revenue_amount,
        0 as nulled_attribute_count
    from source_tables
    union all
    -- Copies a mapping's distinct: true counted once: neither kept nor quarantined.
    select
        source_table,
        'identical_copy' as row_outcome,
        row_count,
        null as row_amount,
        null as revenue_amount,
        0 as nulled_attribute_count
    from identical_rows_counted
    where row_count > 0
),

final as (
    select
        {{ string_literal(source_name()) }} as source_name,
        source_table,
        row_outcome,
        cast(sum(row_count) as bigint) as row_count,
        sum(row_amount) as row_amount,
        sum(revenue_amount) as revenue_amount,
        cast(sum(nulled_attribute_count) as bigint) as nulled_attribute_count
    from outcomes
    group by all
)

select * from final

{%- endif %}
