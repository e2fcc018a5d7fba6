{#- The settings this build ran with, for readers of the published file (the dashboard and the
    audience export apply the build's kpi_min_group_size, not a copy of its default). Paths and
    the source mapping are left out: they describe the build machine, not the marts. -#}
{%- set unpublished = ['source', 'raw_data_path'] -%}
{%- set names = setting_rules().keys() | reject('in', unpublished) | sort -%}

with

settings as (
    {%- for name in names %}
    select
        '{{ name }}' as setting_name,
        '{{ tojson(setting(name)) | replace("'", "''") }}' as setting_value
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    setting_name,
    setting_value
from settings
