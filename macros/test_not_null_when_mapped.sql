{% test not_null_when_mapped(model, column_name, entity) %}
    {#-
        not_null for a field the source may leave unmapped (a constant, a default or null by
        design): fails with each null only when the mapping reads the field from the source's
        data. Order lines' fields may be mapped on orders (a transaction log).
    -#}
    {%- set mapped_entity = lines_entity() if entity == 'order_lines' else entity %}
    select {{ column_name }}
    from {{ model }}
    where
        {{ column_name }} is null
        and {{ 'true' if is_mapped(mapped_entity, column_name) else 'false' }}
{% endtest %}
