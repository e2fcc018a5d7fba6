{#-
    Every raw line of the two Online Retail II files (the first file before 2010-12-01, the
    whole second file) is either kept (an order line) or quarantined, exactly once. Returns a
    row when the counts differ.
-#}
{{ config(enabled=source_staging() == 'online_retail') }}

with

lines_2009_2010 as (
    select * from {{ source('online_retail', 'online_retail_ii_2009_2010') }}
),

lines_2010_2011 as (
    select * from {{ source('online_retail', 'online_retail_2010_2011') }}
),

order_lines as (
    select * from {{ ref('stg_online_retail__order_lines') }}
),

quarantined_lines as (
    select * from {{ ref('stg_online_retail__quarantined_lines') }}
),

raw_file_counts as (
    select count(*) as line_count from lines_2009_2010
    where invoicedate < '2010-12-01'
    union all
    select count(*) as line_count from lines_2010_2011
),

raw_count as (
    select sum(line_count) as raw_count from raw_file_counts
),

kept_count as (
    select count(*) as kept_count from order_lines
),

quarantined_count as (
    select count(*) as quarantined_count from quarantined_lines
),

both_count as (
    select count(*) as both_count
    from order_lines
    inner join quarantined_lines
        on order_lines.order_line_id = quarantined_lines.invoice_line_id
),

counts as (
    select
        raw_count.raw_count,
        kept_count.kept_count,
        quarantined_count.quarantined_count,
        both_count.both_count
    from raw_count
    cross join kept_count
    cross join quarantined_count
    cross join both_count
)

select *
from counts
where raw_count != kept_count + quarantined_count or both_count > 0
