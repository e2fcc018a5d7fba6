{#-
    The raw rows of one entity as the mapping describes them: one column per field, named
    after it, values not yet typed (the classified staging model types and checks them).
    Entities the source lacks are derived where the warehouse can (customers from orders,
    orders and lines from a transaction log, products from lines, campaigns from sends,
    sends from campaign responses) or are empty.
-#}

{% macro mapped_rows(entity, fields) -%}
    {%- if entity == 'orders' and orders_are_a_log() -%}
        {{ log_orders_rows(fields) }}
    {%- elif entity == 'order_lines' and not has_entity('order_lines') -%}
        {{ log_lines_rows(fields) if has_entity('orders') else empty_rows(fields) }}
    {%- elif entity == 'customers' and not has_entity('customers') -%}
        {{ derived_customers_rows(fields) }}
    {%- elif entity == 'products' and not has_entity('products') -%}
        {{ derived_products_rows(fields) }}
    {%- elif entity == 'campaigns' and not has_entity('campaigns') -%}
        {{ derived_campaigns_rows(fields) }}
    {%- elif entity == 'campaign_sends' -%}
        {{ sends_and_responses_rows(fields) }}
    {%- elif entity == 'customers' -%}
        {{ customers_rows(fields) }}
    {%- elif not has_entity(entity) -%}
        {{ empty_rows(fields) }}
    {%- else -%}
        {{ table_rows(entity, fields) }}
    {%- endif -%}
{%- endmacro %}

{% macro source_columns(entity) -%}
    {#- The columns of the entity's raw view; none while parsing (nothing is read then). -#}
    {%- if execute and source_spec().get('same_names') -%}
        {{ return(adapter.get_columns_in_relation(source('mapped', entity))
            | map(attribute='name') | list) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro empty_rows(fields) -%}
    select
        {%- for field in fields %}
        cast(null as string) as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    where false
{%- endmacro %}

{% macro derived_id(entity, fields) -%}
    {#-
        An id for a row whose source has none: its entity, its other fields' text and its
        position among identical rows, so it stays the same from build to build (rows without
        an id cannot be told apart from exact copies, so copies are separate rows).
    -#}
    {%- set others = fields | reject('equalto', entity[:-1] ~ '_id') | list -%}
    {%- if not others -%}
    '{{ entity }}:#' || cast(row_number() over () as string)
    {%- else -%}
    '{{ entity }}:' || concat_ws(
        '|',
        {%- for field in others %}
        coalesce(cast({{ field }} as string), ''){{ ',' if not loop.last }}
        {%- endfor %}
    ) || '#' || cast(row_number() over (
        partition by {% for field in others %}{{ field }}{{ ', ' if not loop.last }}{% endfor %}
    ) as string)
    {%- endif -%}
{%- endmacro %}

{% macro table_rows(entity, fields) -%}
    {#- The entity's own table; an unmapped id is derived. -#}
    {%- set columns = source_columns(entity) -%}
    {%- set key = entity[:-1] ~ '_id' -%}
    {%- set derive_key = key in fields and field_spec(entity, key, columns)['kind'] == 'derived' -%}
    select
        {%- for field in fields %}
        {% if field == key and derive_key -%}
            {{ derived_id(entity, fields) }}
        {%- else -%}
            {{ field }}
        {%- endif %} as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select {{ 'distinct' if (entity_spec(entity) or {}).get('distinct') }}
            {%- for field in fields if not (field == key and derive_key) %}
            {{ field_value(entity, field, columns) }} as {{ field }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ source('mapped', entity) }}
    ) as mapped
{%- endmacro %}

{% macro first_order_dates() -%}
    {#- Each customer's first order date (by the key's text), within the plausible dates. -#}
    select
        {{ key_text('customer_id') }} as customer_key,
        cast(min({{ parsed('orders', 'ordered_at', 'timestamp') }}) as date) as first_order_date
    from ({{ mapped_rows('orders', ['customer_id', 'ordered_at']) }}) as orders
    where
        cast({{ parsed('orders', 'ordered_at', 'timestamp') }} as date)
        between {{ date_literal(setting('quarantine_earliest_date')) }} and {{ quarantine_extract_date() }}
    group by 1
{%- endmacro %}

{% macro customers_rows(fields) -%}
    {#-
        The customers table, with its attributes, behaviour and spend per category as
        attribute__<name>, behaviour__<field> and category_spend__<n> columns. An unmapped
        signup date is the customer's first order date.
    -#}
    {%- set columns = source_columns('customers') -%}
    {%- set derive_signup = 'signup_date' in fields
        and field_spec('customers', 'signup_date', columns)['kind'] == 'derived' -%}
    {%- set selected = [] -%}
    {%- for field in fields -%}
        {%- do selected.append(
            ('cast(first_orders.first_order_date as string)'
                if field == 'signup_date' and derive_signup
                else field_value('customers', field, columns)) ~ ' as ' ~ field
        ) -%}
    {%- endfor -%}
    {%- for attribute in source_attributes() -%}
        {%- do selected.append(source_value(attribute['source']) ~ ' as attribute__' ~ attribute['name']) -%}
    {%- endfor -%}
    {%- for field, spec in source_behaviour().items() -%}
        {%- do selected.append(source_value(spec) ~ ' as behaviour__' ~ field) -%}
    {%- endfor -%}
    {%- for pair in source_category_spend() -%}
        {%- do selected.append(source_value(pair[1]) ~ ' as category_spend__' ~ loop.index) -%}
    {%- endfor %}
    select {{ 'distinct' if entity_spec('customers').get('distinct') }}
        {{ selected | join(',\n        ') }}
    from {{ source('mapped', 'customers') }}
    {%- if derive_signup %}
    left join ({{ first_order_dates() }}) as first_orders
        on {{ key_text(field_value('customers', 'customer_id', columns)) }} = first_orders.customer_key
    {%- endif %}
{%- endmacro %}

{% macro derived_customers_rows(fields) -%}
    {#- No customers table: one customer per customer id of the orders, signed up on the day
        of their first order. -#}
    select
        {%- for field in fields %}
        {% if field == 'customer_id' -%}
            customer_key
        {%- elif field == 'signup_date' -%}
            cast(first_order_date as string)
        {%- else -%}
            cast(null as string)
        {%- endif %} as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ key_text('customer_id') }} as customer_key,
            min(
                case
                    when cast({{ parsed('orders', 'ordered_at', 'timestamp') }} as date) between
                        {{ date_literal(setting('quarantine_earliest_date')) }}
                        and {{ quarantine_extract_date() }}
                        then cast({{ parsed('orders', 'ordered_at', 'timestamp') }} as date)
                end
            ) as first_order_date
        from ({{ mapped_rows('orders', ['customer_id', 'ordered_at']) }}) as orders
        where {{ key_text('customer_id') }} is not null
        group by 1
    ) as customers
{%- endmacro %}

{% macro log_order_key() -%}
    {#- The order a transaction log's row belongs to: its order id, else its customer and
        time (one order per customer per timestamp). -#}
    {%- if field_spec('orders', 'order_id')['kind'] == 'derived' -%}
        {{ key_text('customer_id') }} || '@' || coalesce(
            cast({{ parsed('orders', 'ordered_at', 'timestamp') }} as string),
            trim(cast(ordered_at as string))
        )
    {%- else -%}
        order_id
    {%- endif -%}
{%- endmacro %}

{% macro log_rows() -%}
    {#- Every row of a transaction log mapped as orders, with its order's key. -#}
    select
        log_fields.*,
        {{ log_order_key() }} as order_key
    from (
        select {{ 'distinct' if entity_spec('orders').get('distinct') }}
            {%- set fields = [
                'order_id', 'customer_id', 'ordered_at', 'channel', 'status', 'discount_code',
                'returned_at', 'order_line_id', 'product_id', 'quantity', 'unit_price', 'amount',
                'discount_amount',
            ] %}
            {%- for field in fields %}
            {{ field_value('orders', field) }} as {{ field }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ source('mapped', 'orders') }}
    ) as log_fields
{%- endmacro %}

{% macro log_orders_rows(fields) -%}
    {#- Orders of a transaction log: one per distinct order key and header values (rows of
        one order that disagree on its header are a duplicate_key conflict). A row that leaves
        a header field blank takes the value the order's other rows agree on. -#}
    select distinct
        {%- for field in fields %}
        {% if field == 'order_id' -%}
            order_key
        {%- else -%}
            coalesce(
                {{ field }},
                case
                    when order_key is not null
                        and min({{ field }}) over (partition by order_key)
                        = max({{ field }}) over (partition by order_key)
                        then min({{ field }}) over (partition by order_key)
                end
            )
        {%- endif %} as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ({{ log_rows() }}) as log
{%- endmacro %}

{% macro log_lines_rows(fields) -%}
    {#- Lines of a transaction log: one per row, in the order of its key. -#}
    select
        {%- for field in fields %}
        {% if field == 'order_id' -%}
            order_key
        {%- elif field == 'order_line_id' and field_spec('orders', 'order_line_id')['kind'] == 'derived' -%}
            'line:' || order_key || '#' || cast(row_number() over (
                partition by order_key
                order by product_id, quantity, unit_price, amount, discount_amount
            ) as string)
        {%- else -%}
            {{ field }}
        {%- endif %} as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ({{ log_rows() }}) as log
{%- endmacro %}

{% macro derived_products_rows(fields) -%}
    {#- No products table: one product per product id of the lines, category uncategorized. -#}
    select
        {%- for field in fields %}
        {% if field == 'product_id' -%}
            product_key
        {%- elif field == 'category' -%}
            'uncategorized'
        {%- else -%}
            cast(null as string)
        {%- endif %} as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select distinct {{ key_text('product_id') }} as product_key
        from ({{ mapped_rows('order_lines', ['product_id']) }}) as lines
        where {{ key_text('product_id') }} is not null
    ) as products
{%- endmacro %}

{% macro derived_campaigns_rows(fields) -%}
    {#- No campaigns table: one campaign per campaign id of the sends and responses, named
        after it. -#}
    select
        {%- for field in fields %}
        {% if field in ('campaign_id', 'name') -%}
            campaign_key
        {%- else -%}
            cast(null as string)
        {%- endif %} as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select distinct {{ key_text('campaign_id') }} as campaign_key
        from ({{ mapped_rows('campaign_sends', ['campaign_id']) }}) as sends
        where {{ key_text('campaign_id') }} is not null
    ) as campaigns
{%- endmacro %}

{% macro sends_and_responses_rows(fields) -%}
    {#-
        Campaign sends, then campaign responses as sends with is_accepted (long: one row per
        customer and campaign; wide: one per customer and campaign column that has a value).
        A response's id is its campaign and customer; is_response tells them apart.
    -#}
    {%- set parts = [] -%}
    {%- if has_entity('campaign_sends') -%}
        {%- set sends -%}
            select
                *,
                cast(null as string) as is_accepted,
                false as is_response
            from (
                {{ table_rows(
                    'campaign_sends', fields | reject('in', ['is_accepted', 'is_response']) | list
                ) }}
            ) as sends
        {%- endset -%}
        {%- do parts.append(sends) -%}
    {%- endif -%}
    {%- set responses = entity_spec('campaign_responses') -%}
    {%- if responses is not none -%}
        {%- set campaigns = [] -%}
        {%- if responses.get('wide') -%}
            {%- for pair in responses['wide'] -%}
                {%- do campaigns.append((string_literal(pair[0]), source_value(pair[1]))) -%}
            {%- endfor -%}
        {%- else -%}
            {%- do campaigns.append((
                field_value('campaign_responses', 'campaign_id'),
                field_value('campaign_responses', 'is_accepted'),
            )) -%}
        {%- endif -%}
        {%- for campaign, accepted in campaigns -%}
            {%- set part -%}
                select
                    'response:' || coalesce({{ key_text(campaign) }}, '') || ':'
                    || coalesce({{ key_text(field_value('campaign_responses', 'customer_id')) }}, '')
                        as campaign_send_id,
                    {{ campaign }} as campaign_id,
                    {{ field_value('campaign_responses', 'customer_id') }} as customer_id,
                    {{ field_value('campaign_responses', 'responded_at') }} as sent_at,
                    {{ accepted }} as is_accepted,
                    true as is_response
                from ({{ distinct_responses() }}) as responses
                {%- if responses.get('wide') %}
                where {{ accepted }} is not null
                {%- endif %}
            {%- endset -%}
            {%- do parts.append(part) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not parts -%}
        {{ empty_rows(fields) }}
    {%- else -%}
        {%- for part in parts %}
        select
            {%- for field in fields %}
            {{ field }}{{ ',' if not loop.last }}
            {%- endfor %}
        from ({{ part }}) as part_{{ loop.index }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{% macro date_literal(value) -%}
    {#- A date setting as a typed literal: cast('YYYY-MM-DD' as date). -#}
    cast({{ string_literal(value | string) }} as date)
{%- endmacro %}

{% macro distinct_responses() -%}
    {#- The campaign responses' raw rows, identical ones once when the mapping says distinct. -#}
    select {{ 'distinct' if (entity_spec('campaign_responses') or {}).get('distinct') }} *
    from {{ source('mapped', 'campaign_responses') }}
{%- endmacro %}
