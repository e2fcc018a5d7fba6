{#-
    Raw rows that a mapping's `distinct: true` counted once: per raw table, how many rows
    were identical copies of another and merged into it. They are neither kept nor
    quarantined rows of their own; the quarantine summary lists them (identical_copy), so
    that every raw row is accounted for.
-#}
{%- set counted = [] -%}
{%- for entity, spec in source_spec()['entities'].items() if spec.get('distinct') -%}
    {%- if entity == 'orders' and orders_are_a_log() -%}
        {#- Each row of a transaction log is an order line. -#}
        {%- do counted.append(('order_lines', entity, log_rows())) -%}
    {%- elif entity == 'campaign_responses' -%}
        {%- do counted.append((entity, entity, distinct_responses())) -%}
    {%- elif entity == 'customers' -%}
        {%- do counted.append((entity, entity, customers_rows(mapped_fields(entity)))) -%}
    {%- else -%}
        {%- do counted.append((entity, entity, table_rows(entity, mapped_fields(entity)))) -%}
    {%- endif -%}
{%- endfor %}

with

final as (
    {%- for table, entity, rows in counted %}
    select
        '{{ table }}' as source_table,
        (select count(*) from {{ source('mapped', entity) }})
        - (select count(*) from ({{ rows }}) as merged) as row_count
    union all
    {%- endfor %}
    select
        cast(null as string) as source_table,
        cast(null as bigint) as row_count
    where false
)

select * from final
