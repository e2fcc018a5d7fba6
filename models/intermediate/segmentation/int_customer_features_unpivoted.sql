{#-
    One row per customer per column the segment model reads (macro segment_model_columns).
    A text column is one-hot encoded as segwarehouse.clustering does: one row
    '<column>=<value>' with value 1 for the customer's category (none when null); the
    standardized model fills every other category of the model with 0.
-#}
{%- set model_columns = segment_model_columns() -%}
{%- set text_columns = text_columns_of(ref('int_customer_features_combined')) -%}

with

customer_features as (
    select * from {{ ref('int_customer_features_combined') }}
),

unpivoted as (
    {%- for column in model_columns %}
    {%- set is_text = column in text_columns %}
    {%- set text_name = "'" ~ column ~ "=' || cast(" ~ column ~ " as varchar)" %}
    select
        customer_id,
        as_of_date,
        {{ text_name if is_text else "'" ~ column ~ "'" }} as column_name,
        {{ 'cast(1 as double)' if is_text else 'cast(' ~ column ~ ' as double)' }} as column_value
    from customer_features
    where {{ column ~ ' is not null' if is_text else 'true' }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select * from unpivoted
)

select * from final
