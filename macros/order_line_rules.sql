{#-
    The checks of an order line's own values, written once: the order lines' staging applies
    them to each line, and the orders' staging of a transaction log asks whether any row of
    an order passes them (an order none of whose rows is a kept line has no value to count).
-#}

{% macro order_line_value_types() -%}
    {#- The line's value fields and the types they parse as. -#}
    {{ return({
        'quantity': 'integer',
        'unit_price': 'decimal',
        'amount': 'decimal',
        'discount_amount': 'decimal',
    }) }}
{%- endmacro %}

{% macro order_line_values(entity) -%}
    {#- The line's values typed, from mapped rows of `entity` (order_lines, or orders when
        they are a transaction log), and whether one does not parse. -#}
    {%- set types = order_line_value_types() -%}
    {%- for field, type in types.items() %}
    {{ parsed(entity, field, type) }} as {{ field }},
    {%- endfor %}
    {{ unparseable_fields(entity, types) }} as has_unparseable_value
{%- endmacro %}

{% macro line_gross_amount(relation) -%}
    {#- What the line cost before discount: its amount, else quantity x unit price; in double
        so that absurd values cannot overflow. -#}
    coalesce(
        cast({{ relation }}.amount as double),
        cast({{ relation }}.quantity as double) * cast({{ relation }}.unit_price as double)
    )
{%- endmacro %}

{% macro order_line_value_rules(entity) -%}
    {#- (reason, condition, detail) of the checks on a line's values, in the order the lines'
        staging applies them. -#}
    {%- set rules = missing_value_rules(entity, ['quantity', 'discount_amount']) -%}
    {%- do rules.extend([
        ('missing_value', 'unit_price is null and amount is null',
            "'unit_price and amount are missing'"),
        ('invalid_value', 'quantity < 1', "'quantity below 1'"),
        ('invalid_value', 'quantity > ' ~ setting('quarantine_max_quantity'),
            "'quantity above quarantine_max_quantity " ~ setting('quarantine_max_quantity') ~ "'"),
        ('invalid_value', 'unit_price < 0', "'unit_price is negative'"),
        ('invalid_value', 'unit_price > ' ~ setting('quarantine_max_price'),
            "'unit_price above quarantine_max_price " ~ setting('quarantine_max_price') ~ "'"),
        ('invalid_value', 'amount < 0', "'amount is negative'"),
        ('invalid_value',
            'cast(amount as double) > cast(quantity as double) * ' ~ setting('quarantine_max_price'),
            "'amount per unit above quarantine_max_price " ~ setting('quarantine_max_price') ~ "'"),
        ('invalid_value', 'discount_amount < 0', "'discount_amount is negative'"),
    ]) -%}
    {{ return(rules) }}
{%- endmacro %}

{% macro order_line_consistency_rules() -%}
    {#- The line's values against each other (checked after its references). -#}
    {{ return([
        ('inconsistent', 'cast(discount_amount as double) > gross_amount',
            "'discount_amount above the line amount'"),
    ]) }}
{%- endmacro %}

{% macro fails_any(rules) -%}
    {#- True when any rule's condition holds (a null condition does not, as in classify_rows). -#}
    (
        false
        {%- for rule in rules %}
        or coalesce({{ rule[1] }}, false)
        {%- endfor %}
    )
{%- endmacro %}

{% macro log_orders_with_a_line() -%}
    {#-
        The orders of a transaction log with whether any of their rows passes the line
        checks (order_id, has_valid_line). Keys, references and copies are the lines' own
        business; this asks only whether the order has a line value to count.
    -#}
    {%- set rules = [('unparseable_value', 'has_unparseable_value', 'null')] -%}
    {%- do rules.extend(order_line_value_rules('orders')) -%}
    {%- do rules.extend(order_line_consistency_rules()) -%}
    select
        order_id,
        bool_or(not {{ fails_any(rules) }}) as has_valid_line
    from (
        select
            typed.*,
            {{ line_gross_amount('typed') }} as gross_amount
        from (
            select
                {{ mapped_key('order_key') }} as order_id,
                {{ order_line_values('orders') | indent(16) }}
            from ({{ log_rows() }}) as log
        ) as typed
    ) as lines
    group by order_id
{%- endmacro %}
