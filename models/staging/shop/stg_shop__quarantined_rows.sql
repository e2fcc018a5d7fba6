with

{% for table in shop_tables() %}
{{ table }}_classified as (
    select * from {{ ref('stg_shop__' ~ table ~ '_classified') }}
),

{% endfor %}

quarantined as (
    {%- for table in shop_tables() %}
    select
        source_table,
        row_key,
        quarantine_reason,
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
        'shop' as source_name,
        source_table,
        row_key,
        quarantine_reason,
        row_amount,
        raw_row
    from quarantined
)

select * from final
