{% macro value_in_bin(bins, value) -%}
    {#- Bins are (lower_bound, upper_bound], a null bound open: one rule for training and drift. -#}
    ({{ bins }}.lower_bound is null or {{ bins }}.lower_bound < {{ value }})
    and ({{ bins }}.upper_bound is null or {{ bins }}.upper_bound >= {{ value }})
{%- endmacro %}
