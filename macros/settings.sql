{% macro setting_rules() -%}
    {#-
        Every project var with its kind and bounds, checked by validate_settings() before any
        model runs and by setting() wherever a model reads one, so that no value reaches SQL
        unless it is what it claims to be: numbers are numbers, dates are calendar dates
        (emitted as typed literals by date_literal), time zones are names DuckDB knows.
        kind: integer, number, share (above 0, at most 1), date, boolean, time_zone, list,
        mapping, text, any. min/max inclusive, above exclusive; nullable allows null.
    -#}
    {%- set window = {'kind': 'integer', 'min': 1, 'max': 3660} -%}
    {%- set bound = {'kind': 'number', 'above': 0} -%}
    {%- set share = {'kind': 'share'} -%}
    {%- set k = {'kind': 'integer', 'min': 2, 'max': 50} -%}
    {{ return({
        'source': {'kind': 'any', 'nullable': true},
        'raw_data_path': {'kind': 'text'},
        'as_of_date': {'kind': 'date', 'nullable': true},
        'segment_drift_max_share_change': share,
        'segment_drift_max_psi': bound,
        'kpi_min_group_size': {'kind': 'integer', 'min': 2, 'max': 1000000,
            'why': 'a KPI cell of fewer customers is suppressed; below 2 one customer would be'
                ~ ' published on their own'},
        'send_conversion_window_days': window,
        'experiment_conversion_window_days': window,
        'campaign_attribution_window_days': window,
        'churn_inactivity_days': window,
        'category_affinity_min_buyer_count': {'kind': 'integer', 'min': 1, 'max': 1000000,
            'why': "a segment's category is ranked for cross-selling when at least this many"
                ~ ' of its customers bought it'},
        'quarantine_max_quantity': bound,
        'quarantine_max_price': bound,
        'quarantine_max_pages_viewed': bound,
        'quarantine_max_campaign_cost': bound,
        'quarantine_earliest_date': {'kind': 'date'},
        'quarantine_extract_date': {'kind': 'date', 'nullable': true},
        'quarantine_max_share': share,
        'quarantine_warn_share': share,
        'quarantine_max_loss_share': share,
        'quarantine_warn_loss_share': share,
        'source_time_zone': {'kind': 'time_zone'},
        'adopt_source': {'kind': 'boolean'},
        'retrain_segments': {'kind': 'boolean'},
        'full_data_tests': {'kind': 'boolean'},
        'replace_snapshots': {'kind': 'boolean'},
        'segment_features': {'kind': 'list'},
        'segment_null_fills': {'kind': 'mapping', 'nullable': true},
        'segment_k_min': k,
        'segment_k_max': k,
        'segment_n_clusters': {'kind': 'integer', 'min': 2, 'max': 50, 'nullable': true},
        'clv_time_unit_days': bound,
        'clv_calibration_start_date': {'kind': 'date', 'nullable': true},
        'clv_refit_days': {'kind': 'integer', 'min': 0, 'max': 3660,
            'why': 'a stored customer lifetime value fit this many days older than the as-of'
                ~ ' date is refitted; 0 refits on every build'},
        'clv_refit_max_customer_change': share,
        'refit_clv': {'kind': 'boolean'},
    }) }}
{%- endmacro %}

{% macro _is_number(value) -%}
    {{ return(value is number and value is not sameas true and value is not sameas false) }}
{%- endmacro %}

{% macro _is_calendar_date(text) -%}
    {#- 'YYYY-MM-DD' naming a real day (2025-02-30 is not). -#}
    {%- set match = modules.re.match('^(\\d{4})-(\\d{2})-(\\d{2})$', text) -%}
    {%- if not match -%}{{ return(false) }}{%- endif -%}
    {%- set year = match.group(1) | int -%}
    {%- set month = match.group(2) | int -%}
    {%- set day = match.group(3) | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{ return(year >= 1 and 1 <= month <= 12 and 1 <= day <= days[month - 1]) }}
{%- endmacro %}

{% macro setting_problem(name, value) -%}
    {#- Why `value` is not valid for the setting `name`, or '' when it is. -#}
    {%- set rule = setting_rules().get(name) -%}
    {%- if rule is none -%}
        {{ return("is not a setting of this project") }}
    {%- endif -%}
    {%- set kind = rule['kind'] -%}
    {%- if value is none or (value is string and value == '' and kind != 'text') -%}
        {{ return('' if rule.get('nullable') else 'must be set (it has no null meaning)') }}
    {%- endif -%}
    {%- if kind in ('integer', 'number', 'share') -%}
        {%- if not _is_number(value) or (kind == 'integer' and value != value | int) -%}
            {{ return('must be ' ~ ('a whole number' if kind == 'integer' else 'a number')
                ~ ', got: ' ~ value) }}
        {%- endif -%}
        {%- if kind == 'share' and (value <= 0 or value > 1) -%}
            {{ return('must be a share above 0 and at most 1 (0.05 = 5%), got: ' ~ value) }}
        {%- endif -%}
        {%- if 'above' in rule and value <= rule['above'] -%}
            {{ return('must be above ' ~ rule['above'] ~ ', got: ' ~ value) }}
        {%- endif -%}
        {%- if ('min' in rule and value < rule['min']) or ('max' in rule and value > rule['max']) -%}
            {{ return('must be between ' ~ rule['min'] ~ ' and ' ~ rule['max'] ~ ', got: ' ~ value
                ~ ('; ' ~ rule['why'] if rule.get('why') else '')) }}
        {%- endif -%}
    {%- elif kind == 'date' -%}
        {%- if not _is_calendar_date(value | string) -%}
            {{ return("must be a date 'YYYY-MM-DD', got: " ~ value) }}
        {%- endif -%}
    {%- elif kind == 'boolean' -%}
        {%- if value is not sameas true and value is not sameas false -%}
            {{ return('must be true or false, got: ' ~ value) }}
        {%- endif -%}
    {%- elif kind == 'time_zone' -%}
        {%- if value is not string or not modules.re.match('^[A-Za-z][A-Za-z0-9_+/-]*$', value) -%}
            {{ return("must be a time zone name such as 'UTC' or 'Europe/Berlin', got: " ~ value) }}
        {%- endif -%}
    {%- elif kind == 'text' -%}
        {%- if value is not string -%}
            {{ return('must be text, got: ' ~ value) }}
        {%- endif -%}
    {%- elif kind == 'list' -%}
        {%- if value is string or value is mapping or value is not iterable -%}
            {{ return('must be a list, got: ' ~ value) }}
        {%- endif -%}
    {%- elif kind == 'mapping' -%}
        {%- if value is not mapping -%}
            {{ return('must be a mapping (name: value), got: ' ~ value) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro setting(name) -%}
    {#-
        The project var `name`, checked against setting_rules(); fails the compile otherwise.
        Not while dbt parses: the start-up hook (validate_settings) then reports every bad
        setting in one message, where the parse would stop at the first model reading one.
    -#}
    {%- set value = as_of_date_setting() if name == 'as_of_date' else var(name) -%}
    {%- set problem = setting_problem(name, value) if execute else '' -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(
            (as_of_date_origin() if name == 'as_of_date' else "var('" ~ name ~ "')")
            ~ " " ~ problem) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro as_of_date_setting() -%}
    {#-
        The as-of date: var('as_of_date') (dbt --vars), else the environment variable
        SEGWAREHOUSE_AS_OF_DATE, which `python -m segwarehouse.sources build --as-of` sets; none
        for the last activity date. The command passes the date outside the vars because dbt
        parses the whole project again whenever a var changes, and only the files that read an
        environment variable when it changes: a backfill then parses in seconds.
    -#}
    {%- set from_var = var('as_of_date') -%}
    {%- set from_env = env_var('SEGWAREHOUSE_AS_OF_DATE', '') | trim -%}
    {%- if from_var is none or from_var == '' -%}
        {{ return(from_env if from_env else none) }}
    {%- endif -%}
    {%- if from_env and from_env != (from_var | string) -%}
        {{ exceptions.raise_compiler_error(
            "two as-of dates: var('as_of_date') = " ~ from_var ~ " and SEGWAREHOUSE_AS_OF_DATE"
            ~ " (--as-of) = " ~ from_env ~ "; give one of them") }}
    {%- endif -%}
    {{ return(from_var) }}
{%- endmacro %}

{% macro as_of_date_origin() -%}
    {#- How the user gave the as-of date, for messages about it. -#}
    {%- set from_var = var('as_of_date') -%}
    {{ return("var('as_of_date')" if from_var is not none and from_var != ''
        else "the as-of date (--as-of, SEGWAREHOUSE_AS_OF_DATE)") }}
{%- endmacro %}

{% macro validate_settings() -%}
    {#-
        Start-up check of every setting, all problems in one message: the project vars as this
        build sees them, vars given on the command line that are not settings (with the name
        they were probably meant as), and the relations between settings.
    -#}
    {%- set rules = setting_rules() -%}
    {%- set problems = [] -%}
    {%- for name, value in (invocation_args_dict.get('vars') or {}).items() if name not in rules -%}
        {%- set close = [] -%}
        {%- for known in rules if name in known or known.endswith(name.split('_')[-1]) -%}
            {%- do close.append(known) -%}
        {%- endfor -%}
        {%- do problems.append("var '" ~ name ~ "' is not a setting of this project"
            ~ ((" (did you mean " ~ close[:3] | join(' or ') ~ "?)") if close else '')
            ~ "; the settings are the vars of dbt_project.yml") -%}
    {%- endfor -%}
    {#- A var the project does not declare keeps its code default (raw_data_path's). -#}
    {%- for name in rules if var.has_var(name) -%}
        {%- set problem = setting_problem(name, var(name)) -%}
        {%- if problem -%}
            {%- do problems.append("var('" ~ name ~ "') " ~ problem) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not problems -%}
        {%- for low, high in [
            ('quarantine_warn_share', 'quarantine_max_share'),
            ('quarantine_warn_loss_share', 'quarantine_max_loss_share'),
            ('segment_k_min', 'segment_k_max'),
        ] if var(low) > var(high) -%}
            {%- do problems.append("var('" ~ low ~ "') (" ~ var(low) ~ ") must not be above var('"
                ~ high ~ "') (" ~ var(high) ~ ")") -%}
        {%- endfor -%}
        {%- if var('quarantine_extract_date') and (var('quarantine_extract_date') | string)
            < (var('quarantine_earliest_date') | string) -%}
            {%- do problems.append("var('quarantine_extract_date') (" ~ var('quarantine_extract_date')
                ~ ") must not be before var('quarantine_earliest_date') ("
                ~ var('quarantine_earliest_date') ~ ")") -%}
        {%- endif -%}
        {%- set zone = var('source_time_zone') -%}
        {%- if zone != 'UTC' and run_query(
            'select count(*) from pg_timezone_names() where name = ' ~ string_literal(zone)
        ).columns[0].values()[0] == 0 -%}
            {%- do problems.append("var('source_time_zone') = '" ~ zone ~ "' is not a time zone"
                ~ " DuckDB knows: use an IANA name such as 'UTC', 'Europe/Berlin' or"
                ~ " 'America/New_York'") -%}
        {%- endif -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "Invalid settings (pass them with --vars, or under `settings:` / `segments:` of a"
            ~ " mapping file):\n  - " ~ problems | join('\n  - ')
        ) }}
    {%- endif -%}
{%- endmacro %}
