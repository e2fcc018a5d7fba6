{% macro is_kept_order(orders, as_of_date) -%}
    {#-
        True for an order that counts as revenue as of `as_of_date`: placed by then, not
        cancelled, and not returned by then (a later return does not reach back). The same
        rule as monetary_value in fct_customer_behavioural_features.
    -#}
    (
        {{ orders }}.order_date <= {{ as_of_date }}
        and not {{ orders }}.is_cancelled
        and coalesce({{ orders }}.returned_date > {{ as_of_date }}, true)
    )
{%- endmacro %}
