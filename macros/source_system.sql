{% macro source_system() -%}
    {#- The project var `source_system`, which must name a source with staging models. -#}
    {%- set value = var('source_system', 'shop') -%}
    {%- if value not in ['shop', 'online_retail'] -%}
        {{ exceptions.raise_compiler_error(
            "var('source_system') must be one of shop, online_retail, got: " ~ value
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro shop_tables() -%}
    {#- The shop source's raw tables, each with a stg_shop__<table>_classified model. -#}
    {{ return([
        'customers', 'products', 'orders', 'order_lines', 'campaigns', 'campaign_sends',
        'email_events', 'web_sessions', 'experiment_assignments', 'survey_responses',
    ]) }}
{%- endmacro %}
