{% macro canonical_model(entity) -%}
    {#-
        A canonical model: the entity's rows from the source's staging, every column its .yml
        documents cast to the documented data_type, whatever the source. The mapped staging
        (stg_mapped__<entity>) or a hand-written folder's stg_<folder>__<entity> when the
        mapping file says the folder provides it; otherwise an empty relation. Customers also
        carry the mapping's extra attributes, after the documented columns.
    -#}
    {%- set staging = source_staging() -%}
    {%- if staging == 'mapped' -%}
        {%- set upstream = ref('stg_mapped__' ~ entity) -%}
    {%- elif staging_provides(entity) -%}
        {%- set upstream = ref('stg_' ~ staging ~ '__' ~ entity) -%}
    {%- else -%}
        {%- set upstream = none -%}
    {%- endif -%}
    {%- set columns = model.columns.values() | list -%}
    {%- set attributes = source_attributes() if entity == 'customers' and staging == 'mapped' else [] -%}

with

source as (
    {%- if upstream is none %}
    -- The source has no {{ entity }}: an empty relation with the same columns.
    select
        {%- for column in columns %}
        cast(null as {{ column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    where false
    {%- else %}
    select * from {{ upstream }}
    {%- endif %}
),

final as (
    select
        {%- for column in columns %}
        cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }}
        {{- ',' if not loop.last or attributes }}
        {%- endfor %}
        {%- for attribute in attributes %}
        cast({{ attribute['name'] }} as {{ 'double' if attribute['type'] == 'number' else 'string' }})
            as {{ attribute['name'] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from source
)

select * from final
{%- endmacro %}
