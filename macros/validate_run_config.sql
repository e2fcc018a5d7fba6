{% macro validate_run_config() -%}
    {#-
        on-run-start: fail fast, before any model runs, on a setting that would only fail
        (or silently mislead) later: a missing source file, an as-of date that is not a date
        or lies outside the raw data's activity dates, an invalid k range, or a clustering
        feature that fct_customer_features does not have. Each message names the setting and
        what it allows. Returns a no-op statement for the hook to run.
    -#}
    {%- if execute -%}
        {%- do _validate_segment_model_config() -%}
        {%- do _validate_raw_files() -%}
        {%- do _validate_as_of_date() -%}
    {%- endif -%}
    select 1 as run_config_is_valid
{%- endmacro %}

{% macro _raw_data_path() -%}
    {{- return(var('raw_data_path', 'data/' ~ target.name ~ '/raw')) -}}
{%- endmacro %}

{% macro _sql_string(value) -%}
    {{- return("'" ~ (value | string).replace("'", "''") ~ "'") -}}
{%- endmacro %}

{% macro _source_folder() -%}
    {#- The folder var of the selected source: (setting name, folder). -#}
    {%- if source_system() == 'online_retail' -%}
        {{- return(('online_retail_path', var('online_retail_path'))) -}}
    {%- endif -%}
    {{- return(('raw_data_path', _raw_data_path())) -}}
{%- endmacro %}

{% macro _validate_raw_files() -%}
    {%- set setting, raw_path = _source_folder() -%}
    {%- set missing = [] -%}
    {%- for source_node in graph.sources.values() if source_node.source_name == source_system() -%}
        {%- set file_path = raw_path ~ '/' ~ source_node.name ~ '.parquet' -%}
        {%- set found = run_query('select count(*) from glob(' ~ _sql_string(file_path) ~ ')') -%}
        {%- if found.columns[0].values()[0] == 0 -%}
            {%- do missing.append(file_path) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "var('" ~ setting ~ "') = '" ~ raw_path ~ "': missing source file(s) "
            ~ missing | join(', ') ~ ". The " ~ source_system() ~ " source needs one <"
            ~ setting ~ ">/<table>.parquet per table; point " ~ setting ~ " at the folder"
            ~ " holding them with --vars '{" ~ setting ~ ": /path/to/files}'."
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro _validate_as_of_date() -%}
    {%- set as_of_date = var('as_of_date') -%}
    {%- if as_of_date is none or as_of_date == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set allowed = "var('as_of_date') must be null (the last activity date) or a date"
        ~ " 'YYYY-MM-DD'" -%}
    {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', as_of_date | string) -%}
        {{ exceptions.raise_compiler_error(allowed ~ ", got: " ~ as_of_date) }}
    {%- endif -%}
    {%- set parsed = run_query(
        'select try_cast(' ~ _sql_string(as_of_date) ~ ' as date) is not null'
    ).columns[0].values()[0] -%}
    {%- if not parsed -%}
        {{ exceptions.raise_compiler_error(allowed ~ ", got: " ~ as_of_date ~ " (not a valid date)") }}
    {%- endif -%}
    {#- The activity dates of the raw files, as int_as_of_dates_resolved reads them, within the
        dates the quarantine accepts. -#}
    {%- set setting, raw_path = _source_folder() -%}
    {%- if source_system() == 'online_retail' -%}
        {%- set activity = {
            'online_retail_ii_2009_2010': 'InvoiceDate',
            'online_retail_2010_2011': 'InvoiceDate',
        } -%}
    {%- else -%}
        {%- set activity = {
            'orders': 'ordered_at',
            'web_sessions': 'started_at',
            'email_events': 'occurred_at',
            'survey_responses': 'responded_at',
        } -%}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for table_name, column_name in activity.items() -%}
        {%- do parts.append(
            'select try_cast(try_cast(' ~ column_name ~ ' as timestamp) as date) as activity_date'
            ~ ' from read_parquet(' ~ _sql_string(raw_path ~ '/' ~ table_name ~ '.parquet') ~ ')'
        ) -%}
    {%- endfor -%}
    {%- set bounds = run_query(
        'select cast(min(activity_date) as varchar), cast(max(activity_date) as varchar),'
        ~ ' cast(' ~ _sql_string(as_of_date) ~ ' as date) between min(activity_date)'
        ~ ' and max(activity_date)'
        ~ ' from (' ~ parts | join(' union all ') ~ ') as activity'
        ~ ' where activity_date between cast(' ~ _sql_string(var('quarantine_earliest_date'))
        ~ ' as date) and ' ~ quarantine_extract_date()
    ) -%}
    {%- set first_date = bounds.columns[0].values()[0] -%}
    {%- set last_date = bounds.columns[1].values()[0] -%}
    {%- if not bounds.columns[2].values()[0] -%}
        {{ exceptions.raise_compiler_error(
            "var('as_of_date') = " ~ as_of_date ~ " is outside the data: it must lie between"
            ~ " the first and last activity dates in " ~ raw_path ~ ", " ~ first_date
            ~ " and " ~ last_date ~ " (or be null for the last one)."
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
    {%- for name, minimum in [('k_min', 2), ('k_max', 2), ('n_clusters', 1)] -%}
        {%- set value = node.config.get(name) -%}
        {%- if not (name == 'n_clusters' and value is none) -%}
            {%- if value is not number or value is sameas true or value is sameas false
                or value != value | int or value < minimum -%}
                {{ exceptions.raise_compiler_error(
                    prefix ~ name ~ "' must be a whole number of at least " ~ minimum
                    ~ (" (or null to search [k_min, k_max])" if name == 'n_clusters' else "")
                    ~ ", got: " ~ value
                ) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if node.config.get('k_max') < node.config.get('k_min') -%}
        {{ exceptions.raise_compiler_error(
            prefix ~ "k_max' (" ~ node.config.get('k_max') ~ ") must be at least 'k_min' ("
            ~ node.config.get('k_min') ~ "): k is searched in [k_min, k_max]"
        ) }}
    {%- endif -%}
    {#- The documented columns of fct_customer_features and of the marts it selects from
        (its yml documents only its own columns; the features are documented upstream). -#}
    {%- set available = features_node.columns.keys() | list -%}
    {%- for parent_id in features_node.depends_on.nodes -%}
        {%- set parent = graph.nodes.get(parent_id) -%}
        {%- for column_name in (parent.columns.keys() if parent is not none else []) -%}
            {%- if column_name not in available -%}{%- do available.append(column_name) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set features = node.config.get('features') -%}
    {%- if features is string or features is not iterable or not features -%}
        {{ exceptions.raise_compiler_error(
            prefix ~ "features' must be a non-empty list of fct_customer_features columns,"
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
            ~ ". Allowed: the documented columns of fct_customer_features: "
            ~ available | join(', ')
        ) }}
    {%- endif -%}
{%- endmacro %}
