{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('products') -%}
{%- set types = {'list_price': 'decimal'} -%}

{#- list_price is an attribute no KPI reads: a bad one is nulled and flagged
    (attribute_issue), never a reason to quarantine the product and orphan its lines. -#}
{%- set rules = [
    ('null_key', 'row_key is null', "'product_id is missing'"),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('product_id')),
    ('missing_value', 'category is null', "'category is missing'"),
] -%}
{%- set max_price = setting('quarantine_max_price') -%}

with

source as (
    {{ mapped_rows('products', fields) }}
),

typed as (
    select
        {{ clean_text('product_id') }} as row_key,
        {{ parsed('products', 'product_id', 'key') }} as product_id,
        {{ clean_text('name') }} as product_name,
        lower({{ clean_text('category') }}) as category,
        {{ clean_text('brand') }} as brand,
        {{ parsed('products', 'list_price', 'decimal') }} as list_price,
        cast(null as double) as row_amount,
        {{ unparseable_fields('products', types) }} as has_unparseable_value,
        {{ unparseable_detail('products', types) }} as unparseable_detail,
        source as raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed', 'product_id') }}
),

classified as (
    {{ classify_rows('counted', rules) }}
),

final as (
    select
        'products' as source_table,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        product_id,
        product_name,
        category,
        brand,
        case
            when not has_unparseable_value and list_price between 0 and {{ max_price }}
                then list_price
        end as list_price,
        case
            when has_unparseable_value then unparseable_detail || '; nulled'
            when list_price < 0 then 'list_price is negative; nulled'
            when list_price > {{ max_price }}
                then 'list_price above quarantine_max_price {{ max_price }}; nulled'
        end as attribute_issue
    from classified
)

select * from final
