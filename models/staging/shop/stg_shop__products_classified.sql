with

source as (
    select * from {{ source('shop', 'products') }}
),

typed as (
    select
        {{ clean_text('id') }} as row_key,
        try_cast(id as bigint) as product_id,
        {{ clean_text('name') }} as product_name,
        lower({{ clean_text('category') }}) as category,
        {{ clean_text('brand') }} as brand,
        try_cast(list_price as decimal(18, 2)) as list_price,
        cast(null as double) as row_amount,
        {{ has_unparseable_value({'id': 'bigint', 'list_price': 'decimal(18, 2)'}) }}
            as has_unparseable_value,
        {{ key_row_count('try_cast(id as bigint)') }},
        source as raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed') }}
),

classified as (
    select
        *,
        case
            when row_key is null then 'null_key'
            when has_unparseable_value then 'unparseable_value'
            when {{ is_duplicate_key() }} then 'duplicate_key'
            when category is null then 'missing_value'
            when
                list_price < 0 or list_price > {{ var('quarantine_max_price') }}
                then 'invalid_value'
        end as quarantine_reason
    from counted
),

final as (
    select
        'products' as source_table,
        row_key,
        quarantine_reason,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        product_id,
        product_name,
        category,
        brand,
        list_price
    from classified
)

select * from final
