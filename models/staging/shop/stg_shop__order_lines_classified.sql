with

source as (
    select * from {{ source('shop', 'order_lines') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
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
        or products.product_id is null
),

{% endif %}

batch as (
    {{ raw_rows_to_classify('source', 'try_cast(id as bigint)', 'stored_groups_to_recheck') }}
),

typed as (
    select
        {{ key_group('try_cast(id as bigint)') }} as key_group,
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as order_line_id,
        try_cast(order_id as bigint) as order_id,
        try_cast(product_id as bigint) as product_id,
        try_cast(quantity as integer) as quantity,
        try_cast(unit_price as decimal(18, 2)) as unit_price,
        try_cast(discount_amount as decimal(18, 2)) as discount_amount,
        {{ has_unparseable_value({
            'id': 'bigint',
            'order_id': 'bigint',
            'product_id': 'bigint',
            'quantity': 'integer',
            'unit_price': 'decimal(18, 2)',
            'discount_amount': 'decimal(18, 2)',
        }) }} as has_unparseable_value,
        {{ key_row_count('try_cast(id as bigint)') }},
        hash(batch) as row_hash,
        batch as raw_struct
    from batch
),

counted as (
    {{ with_copy_counts('typed') }}
),

checked as (
    select
        counted.*,
        -- The line's net amount, in double so that absurd values cannot overflow.
        cast(counted.quantity as double) * cast(counted.unit_price as double)
        - cast(counted.discount_amount as double) as row_amount,
        orders.order_id is not null as has_order,
        products.product_id is not null as has_product
    from counted
    left join orders on counted.order_id = orders.order_id
    left join products on counted.product_id = products.product_id
),

classified as (
    select
        *,
        case
            when row_key is null or order_id is null or product_id is null then 'null_key'
            when has_unparseable_value then 'unparseable_value'
            when {{ is_duplicate_key() }} then 'duplicate_key'
            when
                quantity is null or unit_price is null or discount_amount is null
                then 'missing_value'
            when
                quantity < 1
                or quantity > {{ var('quarantine_max_quantity') }}
                or unit_price < 0
                or unit_price > {{ var('quarantine_max_price') }}
                or discount_amount < 0
                then 'invalid_value'
            when not has_order or not has_product then 'orphan_reference'
            when
                cast(discount_amount as double)
                > cast(quantity as double) * cast(unit_price as double)
                then 'inconsistent'
        end as quarantine_reason
    from checked
),

final as (
    select
        'order_lines' as source_table,
        key_group,
        row_hash,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as classified_at,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        order_line_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        discount_amount
    from classified
)

select * from final
