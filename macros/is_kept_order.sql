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

{% macro net_of_discount(amount, discount) -%}
    {#- What an order or a line earns: its amount less its discount (none when null). Orders'
        net_amount (int_orders_valued) and lines' (category affinity) both use it, so a line's
        net amounts add up to its order's. -#}
    ({{ amount }} - coalesce({{ discount }}, 0))
{%- endmacro %}
