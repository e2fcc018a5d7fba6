with

{% for table in mapped_tables() %}
{{ table }}_classified as (
    select * from {{ ref('stg_mapped__' ~ table ~ '_classified') }}
),

{% endfor %}

quarantined as (
    {%- for table in mapped_tables() %}
    select
        source_table,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        raw_row
    from {{ table }}_classified
    where quarantine_reason is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        {{ string_literal(source_name()) }} as source_name,
        source_table,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        raw_row
    from quarantined
)

select * from final
