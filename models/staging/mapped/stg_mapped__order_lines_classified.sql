{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('order_lines') -%}
{#- A transaction log mapped as orders carries its lines' fields itself. -#}
{%- set entity = lines_entity() -%}
{%- set types = order_line_value_types() -%}
{%- set key = mapped_key('order_line_id') -%}

{%- set rules = [
    ('null_key', 'row_key is null', "'order_line_id is missing'"),
    ('null_key', 'order_id is null', "'order_id is missing'"),
] -%}
{#- A line without a product is fine unless the source maps products. -#}
{%- do rules.extend([('null_key', 'product_id is null', "'product_id is missing'")]
    if is_mapped(entity, 'product_id') else []) -%}
{%- do rules.extend([
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('order_line_id')),
]) -%}
{%- do rules.extend(order_line_value_rules(entity)) -%}
{%- do rules.extend([
    ('orphan_reference', 'not has_order', "'order_id not among the kept orders'"),
    ('orphan_reference', 'product_id is not null and not has_product',
        "'product_id not among the kept products'"),
]) -%}
{%- do rules.extend(order_line_consistency_rules()) -%}

with

source as (
    {{ mapped_rows('order_lines', fields) }}
),

orders as (
    select * from {{ ref('stg_mapped__orders') }}
),

products as (
    select * from {{ ref('stg_mapped__products') }}
),

{% if is_incremental() %}

stored_groups_to_recheck as (
    -- Quarantined rows may pass now (their order has arrived, their date is no longer in the
    -- future); kept rows whose order or product has since been quarantined must leave.
    select stored.key_group
    from {{ this }} as stored
    left join orders on stored.order_id = orders.order_id
    left join products on stored.product_id = products.product_id
    where
        stored.quarantine_reason is not null
        or orders.order_id is null
        or (stored.product_id is not null and products.product_id is null)
),

{% endif %}

batch as (
    {{ raw_rows_to_classify('source', key, 'stored_groups_to_recheck', [entity]) }}
),

typed as (
    select
        {{ key_group(key) }} as key_group,
        {{ clean_text('order_line_id') }} as row_key,
        {{ key }} as order_line_id,
        {{ mapped_key('order_id') }} as order_id,
        {{ mapped_key('product_id') }} as product_id,
        {{- order_line_values(entity) | indent(4) }},
        {{ unparseable_detail(entity, types) }} as unparseable_detail,
        {{ row_hash('batch', [entity]) }} as row_hash,
        batch as raw_struct
    from batch
),

counted as (
    {{ with_copy_counts('typed', 'order_line_id') }}
),

checked as (
    select
        counted.*,
        {{ line_gross_amount('counted') | indent(4) }} as gross_amount,
        orders.order_id is not null as has_order,
        products.product_id is not null as has_product
    from counted
    left join orders on counted.order_id = orders.order_id
    left join products on counted.product_id = products.product_id
),

classified as (
    {{ classify_rows('checked', rules) }}
),

final as (
    select
        'order_lines' as source_table,
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        quarantine_detail,
        -- The line's net amount.
        gross_amount - cast(discount_amount as double) as row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        order_line_id,
        order_id,
        product_id,
        quantity,
        -- Bounded on kept rows only: a quarantined row may hold any number.
        case
            when quarantine_reason is null
                then coalesce(unit_price, cast(amount / quantity as decimal(18, 2)))
        end as unit_price,
        case
            when quarantine_reason is null
                then coalesce(amount, cast(quantity * unit_price as decimal(18, 2)))
        end as line_amount,
        discount_amount
    from classified
)

select * from final
