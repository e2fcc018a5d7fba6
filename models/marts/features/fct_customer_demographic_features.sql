{#- The mapping's customer attributes (numbers or text) follow the fixed columns. -#}

with

customers as (
    select * from {{ ref('int_customers_canonical') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates_resolved') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

-- Only customers who had signed up by the as-of date exist at that date (a customer whose
-- source gives no signup date, such as a snapshot without one, always does).
customers_as_of as (
    select
        customers.*,
        as_of_dates.as_of_date,
        {{ whole_years_between('customers.birth_date', 'as_of_dates.as_of_date') }} as age_years
    from customers
    cross join as_of_dates
    where coalesce(customers.signup_date <= as_of_dates.as_of_date, true)
),

final as (
    select
        customers_as_of.customer_id,
        customers_as_of.as_of_date,
        customers_as_of.age_years,
        coalesce(age_bands.age_band, 'unknown') as age_band,
        customers_as_of.gender,
        customers_as_of.country,
        customers_as_of.region,
        customers_as_of.city,
        customers_as_of.signup_date,
        customers_as_of.as_of_date - customers_as_of.signup_date as tenure_days,
        customers_as_of.acquisition_channel,
        {%- for attribute in source_attributes() %}
        customers_as_of.{{ attribute['name'] }},
        {%- endfor %}
        customers_as_of.is_loyalty_member
    from customers_as_of
    left join age_bands
        on customers_as_of.age_years between age_bands.min_age and age_bands.max_age
)

select * from final
