with

memberships as (
    select * from {{ ref('dim_customer_segments') }}
),

customers as (
    select * from {{ ref('int_customers_canonical') }}
),

unpivoted as (
    select
        customer_id,
        as_of_date,
        'kmeans' as segmentation,
        segment_id
    from memberships
    -- No k-means segment without a fitted model.
    where segment_id is not null
    union all
    select
        customer_id,
        as_of_date,
        'rfm' as segmentation,
        rfm_segment_id as segment_id
    from memberships
),

final as (
    select
        unpivoted.customer_id,
        unpivoted.as_of_date,
        unpivoted.segmentation,
        unpivoted.segment_id,
        customers.signup_date
    from unpivoted
    inner join customers on unpivoted.customer_id = customers.customer_id
)

select * from final
