{% macro source_spec() -%}
    {#-
        The source the warehouse is built from: its mapping file read and checked, as var
        `source` or as segwarehouse.sources passes it, the environment variable
        SEGWAREHOUSE_SOURCE. Without either, the generator's layout:
        <raw_data_path>/<table>.parquet, every field read from the column of the same name
        (the entity's key from `id`, product and campaign names from `name`).
    -#}
    {%- set given = source_var() -%}
    {%- if given -%}{{ return(given) }}{%- endif -%}
    {#- segwarehouse.sources passes it as JSON in an environment variable, not a var: dbt
        parses the whole project again whenever a var changes, but only the files that read a
        variable when it does. Where the data is (source_location) has a variable of its own,
        so that a build of other data in the same shape parses only the few files naming it. -#}
    {%- set from_env = env_var('SEGWAREHOUSE_SOURCE', '') -%}
    {%- if from_env -%}{{ return(fromjson(from_env)) }}{%- endif -%}
    {%- set entities = {} -%}
    {%- for table in shop_tables() -%}{%- do entities.update({table: {}}) -%}{%- endfor -%}
    {{ return({
        'name': target.name,
        'staging': 'mapped',
        'same_names': true,
        'raw_data_path': var('raw_data_path', 'data/' ~ target.name ~ '/raw'),
        'identity': target.name ~ ' (' ~ var('raw_data_path', 'data/' ~ target.name ~ '/raw')
            ~ '/orders.parquet)',
        'entities': entities,
        'tables': shop_tables(),
        'attach': [],
    }) }}
{%- endmacro %}

{% macro source_var() -%}
    {#- The mapping given as var `source` (a mapping, or its JSON text), or none. -#}
    {%- set given = var('source', none) -%}
    {{ return(fromjson(given) if given is string else given) }}
{%- endmacro %}

{% macro source_staging() -%}
    {#- 'mapped' (models/staging/mapped reads the mapping) or a hand-written staging folder. -#}
    {{ return(source_spec().get('staging', 'mapped')) }}
{%- endmacro %}

{% macro source_location() -%}
    {#- Which data the source is: {'name', 'identity' (its name and where its orders are, as the
        warehouse records it), 'attach' ([alias, DuckDB file] pairs to attach)}. From var
        `source`, else the environment variable SEGWAREHOUSE_SOURCE_LOCATION, which
        segwarehouse.sources sets beside SEGWAREHOUSE_SOURCE; else the generator's layout. -#}
    {%- set given = source_var() -%}
    {%- if not given -%}
        {%- set from_env = env_var('SEGWAREHOUSE_SOURCE_LOCATION', '') -%}
        {%- if from_env -%}{{ return(fromjson(from_env)) }}{%- endif -%}
        {%- if env_var('SEGWAREHOUSE_SOURCE', '') -%}
            {{ exceptions.raise_compiler_error(
                "SEGWAREHOUSE_SOURCE is set without SEGWAREHOUSE_SOURCE_LOCATION (the source's"
                ~ " name, identity and databases to attach): set both, as `python -m"
                ~ " segwarehouse.sources` does, or give the whole mapping as var `source`") }}
        {%- endif -%}
        {%- set given = source_spec() -%}
    {%- endif -%}
    {{ return({
        'name': given['name'],
        'identity': given.get('identity') or given['name'],
        'attach': given.get('attach', []),
    }) }}
{%- endmacro %}

{% macro source_name() -%}
    {{ return(source_location()['name']) }}
{%- endmacro %}

{% macro entity_spec(entity) -%}
    {#- The mapping of one entity, or none when the source has no such table. -#}
    {{ return(source_spec()['entities'].get(entity)) }}
{%- endmacro %}

{% macro has_entity(entity) -%}
    {{ return(entity_spec(entity) is not none) }}
{%- endmacro %}

{% macro staging_provides(entity) -%}
    {#- Whether the hand-written staging folder has a stg_<folder>__<entity> model. -#}
    {{ return(entity in source_spec().get('provides', [])) }}
{%- endmacro %}

{% macro shop_tables() -%}
    {#- The generator's raw tables, one per entity (its files are <table>.parquet). -#}
    {{ return([
        'customers', 'products', 'orders', 'order_lines', 'campaigns', 'campaign_sends',
        'email_events', 'web_sessions', 'experiment_assignments', 'survey_responses',
    ]) }}
{%- endmacro %}

{% macro mapped_tables() -%}
    {#- Every entity the mapped staging classifies: one stg_mapped__<table>_classified each. -#}
    {{ return(shop_tables()) }}
{%- endmacro %}

{% macro field_spec(entity, field, available_columns=none) -%}
    {#-
        Where one field of an entity comes from (see segwarehouse.sources.mapping.FieldSource):
        {'kind': 'column' | 'sum' | 'constant' | 'derived' | 'null', ...}. In the generator's
        layout, the column of the same name when the table has it (`available_columns`).
    -#}
    {%- set spec = source_spec() -%}
    {%- if spec.get('same_names') -%}
        {%- set names = {
            entity[:-1] ~ '_id': 'id',
            'name': 'name',
        } -%}
        {%- set column = names.get(field, field) -%}
        {%- if available_columns is none or column in available_columns -%}
            {{ return({'kind': 'column', 'column': column}) }}
        {%- endif -%}
        {{ return({'kind': 'null'}) }}
    {%- endif -%}
    {%- set mapping = entity_spec(entity) -%}
    {%- if mapping is none -%}{{ return({'kind': 'null'}) }}{%- endif -%}
    {{ return(mapping['fields'].get(field, {'kind': 'null'})) }}
{%- endmacro %}

{% macro is_mapped(entity, field) -%}
    {#- The field is read from the source's data, so a null there is a missing value. -#}
    {%- set spec = source_spec() -%}
    {%- if spec.get('same_names') -%}{{ return(true) }}{%- endif -%}
    {%- set mapping = entity_spec(entity) -%}
    {{ return(mapping is not none and field in mapping.get('mapped', [])) }}
{%- endmacro %}

{% macro source_attributes() -%}
    {#- Extra customer attributes: [{'name', 'type' (number or text), 'source'}]. -#}
    {%- set customers = entity_spec('customers') -%}
    {{ return((customers or {}).get('attributes', [])) }}
{%- endmacro %}

{% macro source_behaviour() -%}
    {#- Precomputed behaviour on customers: {field: source}, empty without. -#}
    {%- set customers = entity_spec('customers') -%}
    {{ return((customers or {}).get('behaviour', {})) }}
{%- endmacro %}

{% macro source_category_spend() -%}
    {#- Precomputed spend per category on customers: [[category, source]], empty without. -#}
    {%- set customers = entity_spec('customers') -%}
    {{ return((customers or {}).get('category_spend', [])) }}
{%- endmacro %}

{% macro customers_are_a_snapshot() -%}
    {#- No orders: the customers table is a snapshot taken on its snapshot_date (with
        precomputed behaviour, or attributes alone). -#}
    {{ return(has_entity('customers') and not has_entity('orders')) }}
{%- endmacro %}

{% macro orders_are_a_log() -%}
    {#- The orders are a transaction log: mapped, with their lines' fields on each row. -#}
    {{ return(has_entity('orders') and lines_entity() == 'orders') }}
{%- endmacro %}

{% macro lines_entity() -%}
    {#- Where order lines' fields are mapped: order_lines, or orders when the orders are a
        transaction log (one line per row). -#}
    {{ return('order_lines' if has_entity('order_lines') or source_spec().get('same_names')
        else 'orders') }}
{%- endmacro %}

{% macro customer_extra_columns() -%}
    {#-
        The columns a customers table brings beyond the canonical ones, as
        {raw column: (typed column, type, source spec)}: attributes (attribute__<name> ->
        <name>), behaviour (behaviour__<field> -> behaviour_<field>) and spend per category
        (category_spend__<n> -> category_spend_<n>, n = its position in the mapping).
    -#}
    {%- set extra = {} -%}
    {%- for attribute in source_attributes() -%}
        {%- do extra.update({'attribute__' ~ attribute['name']: (
            attribute['name'], 'number' if attribute['type'] == 'number' else 'text',
            attribute['source'],
        )}) -%}
    {%- endfor -%}
    {%- for field, spec in source_behaviour().items() -%}
        {%- do extra.update({'behaviour__' ~ field: (
            'behaviour_' ~ field,
            {'recency_days': 'number', 'monetary_value': 'decimal'}.get(field, 'integer'),
            spec,
        )}) -%}
    {%- endfor -%}
    {%- for pair in source_category_spend() -%}
        {%- do extra.update({'category_spend__' ~ loop.index: (
            'category_spend_' ~ loop.index, 'decimal', pair[1],
        )}) -%}
    {%- endfor -%}
    {{ return(extra) }}
{%- endmacro %}

{% macro leading_columns(columns, indent=8) -%}
    {#- "a,\n b,\n " (one per line) before a select list's next column; nothing for none. -#}
    {%- for column in columns -%}
        {{ column }},{{ '\n' ~ ' ' * indent }}
    {%- endfor -%}
{%- endmacro %}

{% macro accepted_values(entity, field) -%}
    {#- The values a text field may take (after the value map, lower-cased); any other is
        quarantined as invalid_value. The catalogue of segwarehouse.sources lists the same
        (a test compares them), so the mapping check can name the values that will fail. -#}
    {{ return({
        'customers': {
            'gender': ['female', 'male', 'non_binary', 'undisclosed'],
            'acquisition_channel': [
                'organic_search', 'paid_search', 'social', 'referral', 'email', 'affiliate',
                'store',
            ],
        },
        'orders': {
            'channel': ['web', 'app', 'store'],
            'status': ['completed', 'returned', 'cancelled'],
        },
        'campaigns': {'channel': ['email', 'sms', 'push']},
        'email_events': {
            'event_type': ['delivered', 'opened', 'clicked', 'unsubscribed', 'bounced'],
        },
        'web_sessions': {'device': ['desktop', 'mobile', 'tablet']},
        'experiment_assignments': {'variant': ['control', 'treatment']},
    }[entity][field]) }}
{%- endmacro %}

{% macro mapped_fields(entity) -%}
    {#-
        The fields the mapped staging reads of each entity, in order: the columns of its
        mapped_rows and of the classified model's raw rows. The catalogue of
        segwarehouse.sources lists the same (a test compares them); campaign sends also
        carry campaign responses' is_accepted and is_response.
    -#}
    {{ return({
        'customers': [
            'customer_id', 'email', 'phone', 'birth_date', 'gender', 'country', 'region', 'city',
            'signup_date', 'acquisition_channel', 'is_loyalty_member', 'snapshot_date',
        ],
        'products': ['product_id', 'name', 'category', 'brand', 'list_price'],
        'orders': [
            'order_id', 'customer_id', 'ordered_at', 'channel', 'status', 'discount_code',
            'returned_at',
        ],
        'order_lines': [
            'order_line_id', 'order_id', 'product_id', 'quantity', 'unit_price', 'amount',
            'discount_amount',
        ],
        'campaigns': ['campaign_id', 'name', 'channel', 'start_date', 'end_date', 'cost'],
        'campaign_sends': [
            'campaign_send_id', 'campaign_id', 'customer_id', 'sent_at', 'is_accepted',
            'is_response',
        ],
        'email_events': ['email_event_id', 'campaign_send_id', 'event_type', 'occurred_at'],
        'web_sessions': [
            'web_session_id', 'customer_id', 'started_at', 'device', 'pages_viewed',
            'converted_order_id',
        ],
        'experiment_assignments': [
            'experiment_assignment_id', 'experiment_name', 'customer_id', 'variant', 'assigned_at',
        ],
        'survey_responses': [
            'survey_response_id', 'customer_id', 'responded_at', 'nps_score', 'satisfaction_score',
        ],
    }[entity]) }}
{%- endmacro %}

{% macro warehouse_location() -%}
    {#- The warehouse's file, for messages. segwarehouse.sources runs dbt in the warehouse's
        folder with the file's name as the profile's path (target.path), and passes the whole
        path as DBT_ENV_CUSTOM_ENV_SEGWAREHOUSE_WAREHOUSE. -#}
    {{ return(env_var('DBT_ENV_CUSTOM_ENV_SEGWAREHOUSE_WAREHOUSE', target.path)) }}
{%- endmacro %}
