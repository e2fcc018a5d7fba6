{% macro hash_pii(column_name) -%}
    {#- One-way hash of a normalised identifier: stays joinable, never readable. -#}
    sha256(lower(trim({{ column_name }})))
{%- endmacro %}
