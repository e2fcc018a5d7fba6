{% test expression_is_true(model, expression) %}
    {#- Fails with every row for which the boolean SQL expression is not true (false or null). -#}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
