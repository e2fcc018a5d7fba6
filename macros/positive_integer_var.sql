{% macro positive_integer_var(name) -%}
    {#- The project var `name`, which must be a whole number of at least 1; fails the compile otherwise. -#}
    {%- set value = var(name) -%}
    {%- if value is not number or value != value | int or value < 1 -%}
        {{ exceptions.raise_compiler_error(
            "var('" ~ name ~ "') must be a whole number of at least 1, got: " ~ value
        ) }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}
