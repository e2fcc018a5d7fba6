with

source as (
    select * from {{ source('shop', 'campaigns') }}
),

renamed as (
    select
        cast(id as bigint) as campaign_id,
        trim(name) as campaign_name,
        lower(trim(channel)) as channel,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(cost as decimal(18, 2)) as cost
    from source
)

select * from renamed
