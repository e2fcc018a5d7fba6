with

customers as (
    select * from {{ ref('int_customers_canonical') }}
),

final as (
    select
        customer_id,
        -- Staging hashed the email once (macro hash_pii): no other rule makes this identifier.
        email_hash as email_sha256,
        email_hash is not null as is_matchable
    from customers
)

select * from final
