with

source_rows_counted as (
    select * from {{ ref('int_source_rows_counted') }}
),

final as (
    select
        source_name,
        source_table,
        row_outcome,
        row_outcome not in ('kept', 'identical_copy') as is_quarantined,
        row_count,
        cast(sum(row_count) over (partition by source_name, source_table) as bigint)
            as raw_row_count,
        {{ safe_divide(
            'cast(row_count as double)',
            'sum(row_count) over (partition by source_name, source_table)'
        ) }} as share_of_raw_rows,
        cast(row_amount as decimal(38, 2)) as amount,
        cast(revenue_amount as decimal(38, 2)) as revenue_amount,
        {{ safe_divide(
            'revenue_amount',
            "sum(revenue_amount) filter (where row_outcome != 'identical_copy')"
            ~ ' over (partition by source_name, source_table)'
        ) }} as share_of_raw_revenue,
        nulled_attribute_count
    from source_rows_counted
)

select * from final
