{#-
    Every raw line of both files, once (the overlap taken from the second file), with its
    quarantine reason (null = kept) and, for kept lines, the order it belongs to. The one
    place that decides which lines the warehouse keeps.
-#}
{{ config(
    materialized='table',
    enabled=source_staging() == 'online_retail',
    post_hook="{{ check_quarantined_share('invoice_lines') }}",
) }}

with

lines_2009_2010 as (
    select * from {{ source('online_retail', 'online_retail_ii_2009_2010') }}
),

lines_2010_2011 as (
    select * from {{ source('online_retail', 'online_retail_2010_2011') }}
),

-- The first file up to 2010-11-30, then the second file, which repeats the first file's
-- 2010-12-01..2010-12-09 rows and continues to 2011-12-09.
unioned as (
    select
        1 as source_file_number,
        file_row_number as source_row_number,
        invoice,
        stockcode as stock_code,
        description,
        quantity,
        invoicedate as invoiced_at,
        price,
        "Customer ID" as customer_id,
        country
    from lines_2009_2010
    where invoicedate < '2010-12-01'
    union all
    select
        2 as source_file_number,
        file_row_number as source_row_number,
        invoiceno as invoice,
        stockcode as stock_code,
        description,
        quantity,
        invoicedate as invoiced_at,
        unitprice as price,
        customerid as customer_id,
        country
    from lines_2010_2011
),

renamed as (
    select
        -- Stable id: file number, then the row's position in its file.
        cast(source_file_number * 1000000 + source_row_number + 1 as bigint) as invoice_line_id,
        source_file_number,
        cast(source_row_number as bigint) as source_row_number,
        trim(invoice) as invoice,
        upper(trim(stock_code)) as stock_code,
        trim(description) as description,
        cast(quantity as integer) as quantity,
        invoiced_at,
        price,
        cast(customer_id as bigint) as customer_id,
        -- Standard names for the codes the source uses; Unspecified is unknown. Channel
        -- Islands, European Community and West Indies stay as they are.
        case trim(country)
            when 'EIRE' then 'Ireland'
            when 'RSA' then 'South Africa'
            when 'USA' then 'United States'
            when 'Unspecified' then null
            else trim(country)
        end as country,
        starts_with(trim(invoice), 'C') as is_cancellation,
        -- Later copies of a line equal on all eight raw columns.
        row_number() over (
            partition by
                invoice, stock_code, description, quantity, invoiced_at, price, customer_id, country
            order by source_file_number, source_row_number
        ) > 1 as is_duplicate
    from unioned
),

-- First matching reason wins, in this order.
classified as (
    select
        *,
        case
            when starts_with(invoice, 'A') then 'bad_debt_adjustment'
            when customer_id is null then 'missing_customer'
            -- Products have a five-digit stock code (plus an optional letter); POST, DOT, M,
            -- C2, D, S, BANK CHARGES, AMAZONFEE, CRUK, PADS, ADJUST, TEST001... are fees,
            -- postage, discounts, manual adjustments and tests.
            when not regexp_matches(stock_code, '^[0-9]{5}') then 'non_product'
            when price = 0 then 'zero_price'
            when is_duplicate then 'duplicate_line'
        end as first_reason
    from renamed
),

purchase_lines as (
    select
        customer_id,
        stock_code,
        invoiced_at,
        cast(invoice as bigint) as order_id
    from classified
    where first_reason is null and not is_cancellation
),

cancellation_lines as (
    select
        invoice_line_id,
        customer_id,
        stock_code,
        invoiced_at
    from classified
    where first_reason is null and is_cancellation
),

-- A 'C' invoice line reverses an earlier purchase: the same customer's latest purchase of
-- the same stock code at or before it, else their latest purchase of anything.
cancellation_matches as (
    select
        cancellation_lines.invoice_line_id,
        purchase_lines.order_id
    from cancellation_lines
    inner join purchase_lines
        on
            cancellation_lines.customer_id = purchase_lines.customer_id
            and cancellation_lines.invoiced_at >= purchase_lines.invoiced_at
    qualify
        row_number() over (
            partition by cancellation_lines.invoice_line_id
            order by
                purchase_lines.stock_code = cancellation_lines.stock_code desc,
                purchase_lines.invoiced_at desc,
                purchase_lines.order_id desc
        ) = 1
),

final as (
    select
        classified.invoice_line_id,
        classified.source_file_number,
        classified.source_row_number,
        classified.invoice,
        classified.stock_code,
        classified.description,
        classified.quantity,
        classified.invoiced_at,
        classified.price,
        classified.customer_id,
        classified.country,
        classified.is_cancellation,
        case
            when classified.first_reason is not null then classified.first_reason
            -- Cancels a purchase from before the data starts (or one quarantined).
            when
                classified.is_cancellation and cancellation_matches.order_id is null
                then 'unmatched_cancellation'
        end as quarantine_reason,
        case
            when classified.first_reason is not null then null
            when classified.is_cancellation then cancellation_matches.order_id
            else cast(classified.invoice as bigint)
        end as order_id
    from classified
    left join cancellation_matches
        on classified.invoice_line_id = cancellation_matches.invoice_line_id
)

select * from final
