{% macro is_placed_order(orders, as_of_date) -%}
    {#-
        True for an order that exists as of `as_of_date`: placed by then and not cancelled.
        What order counts, recency, categories, session conversions and campaign conversions
        count (a return does not undo the order having been placed).
    -#}
    (
        {{ orders }}.order_date <= {{ as_of_date }}
        and not {{ orders }}.is_cancelled
    )
{%- endmacro %}

{% macro is_returned_order(orders, as_of_date) -%}
    {#-
        True for an order returned by `as_of_date`: a later return does not reach back into an
        earlier snapshot. Never null (an order without a return date is not returned).
    -#}
    coalesce({{ orders }}.returned_date <= {{ as_of_date }}, false)
{%- endmacro %}

{% macro is_kept_order(orders, as_of_date) -%}
    {#-
        True for an order that counts as revenue as of `as_of_date`: placed by then and not
        cancelled (is_placed_order), and not returned by then (is_returned_order). The rule of
        monetary_value, int_orders_kept and every kept-revenue figure.
    -#}
    (
        {{ is_placed_order(orders, as_of_date) }}
        and not {{ is_returned_order(orders, as_of_date) }}
    )
{%- endmacro %}

{% macro net_of_discount(amount, discount) -%}
    {#- What an order or a line earns: its amount less its discount (none when null). Orders'
        net_amount (int_orders_valued) and lines' (category affinity) both use it, so a line's
        net amounts add up to its order's. -#}
    ({{ amount }} - coalesce({{ discount }}, 0))
{%- endmacro %}
