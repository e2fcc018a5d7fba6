{% macro safe_divide(numerator, denominator) -%}
    {#- A ratio that is null, not an error, when the denominator is zero or null. -#}
    ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
