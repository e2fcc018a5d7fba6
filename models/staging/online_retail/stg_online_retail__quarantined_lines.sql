{{ config(enabled=source_staging() == 'online_retail') }}

with

invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

final as (
    select
        invoice_line_id,
        quarantine_reason,
        source_file_number,
        source_row_number,
        invoice,
        stock_code,
        description,
        quantity,
        invoiced_at,
        price,
        customer_id,
        country
    from invoice_lines
    where quarantine_reason is not null
)

select * from final
