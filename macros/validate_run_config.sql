{% macro validate_run_config() -%}
    {#-
        on-run-start: fail fast, before any model runs, on what would only fail (or silently
        mislead) later: a source whose tables are missing, a warehouse built from another
        source, an as-of date that is not a date or lies outside the data's activity dates, an
        invalid k range, or a clustering feature that fct_customer_features does not have.
        Each message names the setting and what it allows. Returns a no-op statement.
    -#}
    {%- if execute -%}
        {%- do validate_settings() -%}
        {%- do _validate_segment_model_config() -%}
        {%- do _prepare_source() -%}
        {%- do _check_source_identity() -%}
        {%- do _validate_as_of_date() -%}
    {%- endif -%}
    select 1 as run_config_is_valid
{%- endmacro %}

{% macro _sql_string(value) -%}
    {{- return(string_literal(value | string)) -}}
{%- endmacro %}

{% macro _prepare_source() -%}
    {#-
        The source's tables as views mapped_source.<table>. segwarehouse.sources makes them from
        the mapping file before dbt runs (it reads every format); here they are only checked.
        Without a mapping, the generator's layout: the views are made here, one per
        <raw_data_path>/<table>.parquet.
    -#}
    {%- set spec = source_spec() -%}
    {#- dbt_project.yml enables the staging folder from SEGWAREHOUSE_STAGING (or var source). -#}
    {%- set given = var('source', none) -%}
    {%- set enabled = given.get('staging', 'mapped') if given is mapping
        else env_var('SEGWAREHOUSE_STAGING', 'mapped') -%}
    {%- if enabled != spec.get('staging', 'mapped') -%}
        {{ exceptions.raise_compiler_error(
            "SEGWAREHOUSE_STAGING is '" ~ enabled ~ "', but source '" ~ source_name()
            ~ "' has its staging in models/staging/" ~ spec.get('staging', 'mapped')
            ~ ": set SEGWAREHOUSE_STAGING=" ~ spec.get('staging', 'mapped') ~ " beside"
            ~ " SEGWAREHOUSE_SOURCE (python -m segwarehouse.sources sets both)") }}
    {%- endif -%}
    {%- for pair in source_location()['attach'] -%}
        {%- do run_query(
            'attach if not exists ' ~ _sql_string(pair[1]) ~ ' as ' ~ quoted_column(pair[0])
            ~ ' (read_only)'
        ) -%}
    {%- endfor -%}
    {%- if spec.get('same_names') -%}
        {%- set raw_path = spec['raw_data_path'] -%}
        {%- set missing = [] -%}
        {%- for table in spec['tables'] -%}
            {%- set file_path = raw_path ~ '/' ~ table ~ '.parquet' -%}
            {%- set found = run_query('select count(*) from glob(' ~ _sql_string(file_path) ~ ')') -%}
            {%- if found.columns[0].values()[0] == 0 -%}
                {%- do missing.append(file_path) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "var('raw_data_path') = '" ~ raw_path ~ "': missing source file(s) "
                ~ missing | join(', ') ~ ". The generator's layout needs one"
                ~ " <raw_data_path>/<table>.parquet per table; point raw_data_path at the folder"
                ~ " holding them with --vars '{raw_data_path: /path/to/files}', or describe your"
                ~ " own files in a mapping file: make build-source SOURCE=path/to/mapping.yml."
            ) }}
        {%- endif -%}
        {%- do _check_generator_files(raw_path, spec['tables']) -%}
        {%- do run_query('create schema if not exists mapped_source') -%}
        {%- for table in spec['tables'] -%}
            {%- do run_query(
                'create or replace view mapped_source.' ~ table ~ ' as select * from '
                ~ read_parquet_sql(raw_path ~ '/' ~ table ~ '.parquet')
            ) -%}
        {%- endfor -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set existing = run_query(
        "select table_name from information_schema.tables where table_schema = 'mapped_source'"
    ).columns[0].values() -%}
    {%- set missing = [] -%}
    {%- for table in spec['tables'] if table not in existing -%}
        {%- do missing.append(table) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "source '" ~ source_name() ~ "': the views mapped_source." ~ missing | join(', mapped_source.')
            ~ " are not in this warehouse. segwarehouse.sources makes them from the mapping"
            ~ " file: build with make build-source SOURCE=<mapping file>, or run dbt through"
            ~ " .venv/bin/python -m segwarehouse.sources dbt <mapping file> -- <dbt arguments>."
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro generator_required_fields() -%}
    {#- Each entity's required fields and their types (segwarehouse.sources.catalog; pytest
        keeps the two equal): in the generator's layout, its file must have their columns,
        of a type the field can be read from. -#}
    {{ return({
        'customers': {'customer_id': 'key'},
        'products': {'product_id': 'key'},
        'orders': {'customer_id': 'key', 'ordered_at': 'timestamp'},
        'order_lines': {'order_id': 'key'},
        'campaigns': {'campaign_id': 'key'},
        'campaign_sends': {'campaign_id': 'key', 'customer_id': 'key', 'sent_at': 'timestamp'},
        'campaign_responses': {'customer_id': 'key', 'campaign_id': 'key', 'is_accepted': 'boolean'},
        'email_events': {'campaign_send_id': 'key', 'event_type': 'text', 'occurred_at': 'timestamp'},
        'web_sessions': {'customer_id': 'key', 'started_at': 'timestamp'},
        'experiment_assignments': {
            'experiment_name': 'text', 'customer_id': 'key', 'variant': 'text',
            'assigned_at': 'timestamp',
        },
        'survey_responses': {'customer_id': 'key', 'responded_at': 'timestamp'},
    }) }}
{%- endmacro %}

{% macro _column_type_fits(column_type, field_type) -%}
    {#- Whether a Parquet column of `column_type` can hold values of a field of `field_type`
        (text always can: its values are parsed row by row, a bad one quarantined). -#}
    {%- set type = column_type | upper -%}
    {%- set whole = modules.re.match('^U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?$', type) is not none -%}
    {%- set fits = {
        'key': whole,
        'timestamp': type.startswith('TIMESTAMP') or type == 'DATE',
        'boolean': type == 'BOOLEAN' or whole,
        'text': false,
    } -%}
    {{ return(type == 'VARCHAR' or fits.get(field_type, true)) }}
{%- endmacro %}

{% macro _check_generator_files(raw_path, tables) -%}
    {#- Before any model reads them: every file is a readable Parquet file (an empty or cut
        one fails here, named, not after twenty models) with the columns of its entity's
        required fields (the key is `id`), of types those fields can be read from. -#}
    {%- set problems = [] -%}
    {%- for table in tables -%}
        {%- set file_path = raw_path ~ '/' ~ table ~ '.parquet' -%}
        {%- set sizes = run_query('select size from read_blob(' ~ _sql_string(file_path) ~ ')')
            .columns[0].values() -%}
        {%- if sizes | sum == 0 -%}
            {%- do problems.append(file_path ~ ' is empty (0 bytes)') -%}
        {%- else -%}
            {#- A file cut short fails here with DuckDB's message, which names it. -#}
            {%- set described = run_query(
                'select column_name, column_type from (describe select * from '
                ~ read_parquet_sql(file_path) ~ ')'
            ) -%}
            {%- set types = {} -%}
            {%- for row in described.rows -%}{%- do types.update({row[0]: row[1]}) -%}{%- endfor -%}
            {%- set missing = [] -%}
            {%- for field, field_type in generator_required_fields().get(table, {}).items() -%}
                {%- set column = 'id' if field == table[:-1] ~ '_id' else field -%}
                {%- if column not in types -%}
                    {%- do missing.append(column) -%}
                {%- elif not _column_type_fits(types[column], field_type) -%}
                    {%- do problems.append(file_path ~ ' column ' ~ column ~ ' is '
                        ~ types[column] ~ ', which cannot hold a ' ~ field_type) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if missing -%}
                {%- do problems.append(file_path ~ ' lacks column(s) ' ~ missing | join(', ')
                    ~ ' (it has: ' ~ types.keys() | join(', ') ~ ')') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "var('raw_data_path') = '" ~ raw_path ~ "': " ~ problems | join('; ')
            ~ ". The generator's layout reads each field from the column of its name; rename"
            ~ " the columns back, regenerate the files, or describe your own files in a mapping"
            ~ " file (make build-source SOURCE=path/to/mapping.yml), which maps any column names."
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro read_parquet_sql(path) -%}
    {{ return(adapter.dispatch('read_parquet_sql')(path)) }}
{%- endmacro %}

{% macro default__read_parquet_sql(path) -%}
    read_parquet({{ _sql_string(path) }})
{%- endmacro %}

{% macro _check_source_identity() -%}
    {#-
        A warehouse holds one source's data: its stored segment model, snapshots and history
        belong to that source. The first build records which source (name and where its data
        is); a later build of another source stops here, unless var('adopt_source') records
        the new one (the same customers' data, moved).
    -#}
    {%- set identity = source_location()['identity'] -%}
    {%- do run_query(
        'create table if not exists mapped_source.source_identity'
        ~ ' (source_identity varchar, recorded_at timestamp)'
    ) -%}
    {%- set recorded = run_query(
        'select source_identity from mapped_source.source_identity order by recorded_at desc'
        ~ ' limit 1'
    ).columns[0].values() -%}
    {%- if recorded and recorded[0] == identity -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if recorded and not var('adopt_source') -%}
        {{ exceptions.raise_compiler_error(
            "This warehouse (" ~ warehouse_location() ~ ") was built from source " ~ recorded[0]
            ~ ", but this build reads source " ~ identity ~ ". Its stored segment model,"
            ~ " snapshots and history belong to the first source, so the build stops rather"
            ~ " than score or mix one source's customers with the other's. Build the new"
            ~ " source into a warehouse of its own (each mapping file's name gets"
            ~ " data/<name>/), or start this warehouse over from the new source: make"
            ~ " build-source SOURCE=<mapping file> RESET=1 (deletes the warehouse, its model"
            ~ " and history). If it is the same customers' data moved or re-exported, keep"
            ~ " everything with ADOPT=1 (--vars '{adopt_source: true}')."
        ) }}
    {%- endif -%}
    {%- do run_query(
        'insert into mapped_source.source_identity values (' ~ _sql_string(identity)
        ~ ', current_timestamp)'
    ) -%}
{%- endmacro %}

{% macro _activity_fields() -%}
    {#- (entity, field) of every dated activity: what int_as_of_dates_resolved reads (customers'
        snapshot dates when they are a snapshot, without orders). -#}
    {{ return([
        ('orders', 'ordered_at'),
        ('orders', 'returned_at'),
        ('web_sessions', 'started_at'),
        ('email_events', 'occurred_at'),
        ('survey_responses', 'responded_at'),
        ('customers', 'snapshot_date'),
    ]) }}
{%- endmacro %}

{% macro _validate_as_of_date() -%}
    {%- set as_of_date = as_of_date_setting() -%}
    {%- if as_of_date is none or as_of_date == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set allowed = as_of_date_origin() ~ " must be null (the last activity date) or a date"
        ~ " 'YYYY-MM-DD'" -%}
    {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', as_of_date | string) -%}
        {{ exceptions.raise_compiler_error(allowed ~ ", got: " ~ as_of_date) }}
    {%- endif -%}
    {%- set parsed_date = run_query(
        'select try_cast(' ~ _sql_string(as_of_date) ~ ' as date) is not null'
    ).columns[0].values()[0] -%}
    {%- if not parsed_date -%}
        {{ exceptions.raise_compiler_error(allowed ~ ", got: " ~ as_of_date ~ " (not a valid date)") }}
    {%- endif -%}
    {#- A hand-written staging folder's dates are only known after its models run: its
        as-of date is checked by int_as_of_dates_resolved. -#}
    {%- if source_staging() != 'mapped' -%}
        {{ return(none) }}
    {%- endif -%}
    {#- The activity dates of the raw data, as int_as_of_dates_resolved reads them, within the
        dates the quarantine accepts. -#}
    {%- set parts = [] -%}
    {%- for entity, field in _activity_fields()
        if has_entity(entity)
        and (entity != 'customers' or customers_are_a_snapshot()) -%}
        {%- set type = 'date' if field == 'snapshot_date' else 'timestamp' -%}
        {%- do parts.append(
            'select cast(' ~ parsed(entity, field, type) ~ ' as date) as activity_date'
            ~ ' from (' ~ mapped_rows(entity, [field]) ~ ') as rows'
        ) -%}
    {%- endfor -%}
    {%- if not parts -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set bounds = run_query(
        'select cast(min(activity_date) as varchar), cast(max(activity_date) as varchar),'
        ~ ' cast(' ~ _sql_string(as_of_date) ~ ' as date) between min(activity_date)'
        ~ ' and max(activity_date)'
        ~ ' from (' ~ parts | join(' union all ') ~ ') as activity'
        ~ ' where activity_date between ' ~ date_literal(var('quarantine_earliest_date'))
        ~ ' and ' ~ quarantine_extract_date()
    ) -%}
    {%- set first_date = bounds.columns[0].values()[0] -%}
    {%- set last_date = bounds.columns[1].values()[0] -%}
    {%- if not bounds.columns[2].values()[0] -%}
        {{ exceptions.raise_compiler_error(
            as_of_date_origin() ~ " = " ~ as_of_date ~ " is outside the data: it must lie between"
            ~ " the first and last activity dates of source " ~ source_name() ~ ", "
            ~ first_date ~ " and " ~ last_date ~ " (or be null for the last one)."
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro _validate_segment_model_config() -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.int_segment_models_fitted') -%}
    {%- set features_node = graph.nodes.get('model.' ~ project_name ~ '.fct_customer_features') -%}
    {%- if node is none or features_node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set prefix = "int_segment_models_fitted config '" -%}
    {#- k_min, k_max and n_clusters come from the segment_k_* vars, which validate_settings
        checks. -#}
    {#- The documented columns of fct_customer_features, which are documented on its two
        halves (all three publish int_customer_features_combined). -#}
    {%- set available = features_node.columns.keys() | list -%}
    {%- for half in ['fct_customer_behavioural_features', 'fct_customer_demographic_features'] -%}
        {%- set parent = graph.nodes.get('model.' ~ project_name ~ '.' ~ half) -%}
        {%- for column_name in (parent.columns.keys() if parent is not none else []) -%}
            {%- if column_name not in available -%}{%- do available.append(column_name) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for attribute in source_attributes() if attribute['name'] not in available -%}
        {%- do available.append(attribute['name']) -%}
    {%- endfor -%}
    {%- set features = node.config.get('features') -%}
    {%- if features is string or features is not iterable or not features -%}
        {{ exceptions.raise_compiler_error(
            prefix ~ "features' (var segment_features) must be a non-empty list of"
            ~ " fct_customer_features columns,"
            ~ " got: " ~ features
        ) }}
    {%- endif -%}
    {%- set unknown = [] -%}
    {%- for feature in features if feature not in available -%}
        {%- do unknown.append(feature) -%}
    {%- endfor -%}
    {%- for feature, fill in (node.config.get('null_fills') or {}).items()
        if fill is string and fill not in available -%}
        {%- do unknown.append(fill ~ ' (null_fills of ' ~ feature ~ ')') -%}
    {%- endfor -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error(
            prefix ~ "features' names unknown column(s): " ~ unknown | join(', ')
            ~ ". Allowed: the documented columns of fct_customer_features and the mapping's"
            ~ " customer attributes: "
            ~ available | join(', ')
        ) }}
    {%- endif -%}
{%- endmacro %}
