{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Use the folder's +schema as is (staging, intermediate, marts) rather than dbt's
        default <target_schema>_<custom>, so BI users query marts.<table>. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
