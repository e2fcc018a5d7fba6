{{ config(enabled=source_staging() == 'online_retail') }}

with

invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
),

kept_lines as (
    select * from invoice_lines
    where quarantine_reason is null
),

-- A few customers invoice to more than one country: take the one on most of their lines,
-- on a tie the latest.
countries as (
    select
        customer_id,
        country,
        count(*) as line_count,
        max(invoiced_at) as last_invoiced_at
    from kept_lines
    group by all
),

customer_countries as (
    select
        customer_id,
        country
    from countries
    qualify
        row_number() over (
            partition by customer_id
            order by line_count desc, last_invoiced_at desc, country asc
        ) = 1
),

customers as (
    select
        customer_id,
        cast(min(invoiced_at) as date) as signup_date
    from kept_lines
    group by all
),

final as (
    select
        customers.customer_id,
        cast(customers.customer_id as varchar) as source_customer_id,
        -- No names, emails, phones or demographics in this source.
        cast(null as varchar) as email_hash,
        cast(null as boolean) as has_phone,
        cast(null as date) as birth_date,
        cast(null as varchar) as gender,
        customer_countries.country,
        cast(null as varchar) as region,
        cast(null as varchar) as city,
        -- No signup date either: the first invoice stands in for it.
        customers.signup_date,
        cast(null as varchar) as acquisition_channel,
        cast(null as boolean) as is_loyalty_member,
        cast(null as date) as snapshot_date
    from customers
    inner join customer_countries on customers.customer_id = customer_countries.customer_id
)

select * from final
