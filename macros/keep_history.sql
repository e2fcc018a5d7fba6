{#-
    History is protected. What a warehouse keeps across builds (the segment snapshots, every
    trained segment model, its training bins, the feature drift of each as-of date and every
    customer lifetime value fit) lives in schema `history`, which no model builds: models
    compute the history as this build would keep it (the kept rows with this build's added),
    every test checks it, and only the on-run-end hook keep_history() writes this build's rows
    into the kept tables, at the end of a complete `dbt build` in which every model, seed and
    data test passed. A failed, partial or untested build leaves history as it was.
-#}

{% macro kept_tables() -%}
    {#-
        The kept tables (history.<name>) and the model that computes each as this build would
        keep it. `key`: with `_model_version`, the model's versions the table does not hold yet
        are added (a kept version never changes); with `as_of_date`, the model's rows of the
        build's as-of date replace the table's rows of that date. `before`: the incremental
        model that kept the table before schema history existed (moved once, see
        prepare_history); none for a table that came with schema history.
    -#}
    {{ return([
        {'name': 'segment_models', 'model': 'int_segment_models_fitted',
            'key': '_model_version', 'before': 'int_segment_models_fitted'},
        {'name': 'segment_model_feature_bins', 'model': 'int_segment_model_feature_bins',
            'key': '_model_version', 'before': 'int_segment_model_feature_bins'},
        {'name': 'segment_feature_drift', 'model': 'fct_segment_feature_drift',
            'key': 'as_of_date', 'before': 'fct_segment_feature_drift'},
        {'name': 'segment_snapshots', 'model': 'int_customer_segments_staged',
            'key': 'as_of_date', 'before': 'int_customer_segments_snapshotted'},
        {'name': 'lifetime_value_models', 'model': 'int_lifetime_value_models_fitted',
            'key': '_model_version', 'before': none},
    ]) }}
{%- endmacro %}

{% macro history_schema() -%}
    {{- return('history') -}}
{%- endmacro %}

{% macro _model_relation(model_name) -%}
    {#- The relation a model of this project builds (none when it is not in the graph). -#}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias or node.name
    )) }}
{%- endmacro %}

{% macro kept_history_relation(name) -%}
    {#-
        The kept table history.<name>, or none when this warehouse keeps none yet. Read while
        models run (never at parse time), and none in unit tests, which must not read a
        warehouse's history.
    -#}
    {%- if not execute or (model is defined and model is mapping
        and model.get('resource_type') == 'unit_test') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if _table_type(history_schema(), name) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(api.Relation.create(
        database=target.database, schema=history_schema(), identifier=name, type='table'
    )) }}
{%- endmacro %}

{% macro _table_type(schema, name) -%}
    {#- 'BASE TABLE', 'VIEW' or none, asked of the database itself: dbt's relation cache does
        not see tables made by these macros during the run. -#}
    {%- set found = run_query(
        'select table_type from information_schema.tables where table_catalog ='
        ~ ' current_database() and table_schema = ' ~ string_literal(schema)
        ~ ' and table_name = ' ~ string_literal(name)
    ).columns[0].values() -%}
    {{ return(found[0] if found else none) }}
{%- endmacro %}

{% macro prepare_history() -%}
    {#-
        pre-hook (before_begin: outside the model's transaction) of the models that compute
        the kept tables. Creates schema history; in a warehouse built before it existed
        (int_customer_segments_snapshotted is still the incremental table that kept the
        snapshots), copies each table kept so far into it once, before the models replace
        them. Commits, so that a Python model's table, written through another cursor, is
        visible to the rest of its materialization. Returns a no-op statement.
    -#}
    {%- if execute -%}
        {%- do run_query('create schema if not exists ' ~ history_schema()) -%}
        {%- set snapshots_before = _model_relation('int_customer_segments_snapshotted') -%}
        {%- if snapshots_before is not none and _table_type(
            snapshots_before.schema, snapshots_before.identifier) == 'BASE TABLE' -%}
            {%- for kept in kept_tables() if kept['before'] is not none -%}
                {%- set old = _model_relation(kept['before']) -%}
                {%- if _table_type(old.schema, old.identifier) == 'BASE TABLE'
                    and kept_history_relation(kept['name']) is none -%}
                    {%- do run_query(
                        'create table ' ~ history_schema() ~ '.' ~ kept['name']
                        ~ ' as select * from ' ~ old
                    ) -%}
                    {%- do log('history: kept ' ~ old ~ ' as ' ~ history_schema() ~ '.'
                        ~ kept['name'] ~ ' (moved once, before it is rebuilt)', info=true) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1 as history_prepared
{%- endmacro %}

{% macro features_fingerprint(relation) -%}
    {#-
        Aggregate expression: a fingerprint of every row of `relation`
        (int_customer_features_combined, published as fct_customer_features), the same
        whatever order the rows are in. Each row is written as text, doubles rounded
        to 9 decimals (so float noise in the last bits cannot tell two identical builds apart),
        hashed with MD5; the fingerprint is the MD5 of the sums of the row hashes' halves and
        the row count.
    -#}
    {%- if not execute -%}
        {{ return("md5('')") }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- set name = adapter.quote(column.name) -%}
        {%- set value = 'round(' ~ name ~ ', 9) + 0.0'
            if column.dtype | upper in ['DOUBLE', 'FLOAT', 'REAL'] else name -%}
        {%- do parts.append("coalesce(cast(" ~ value ~ " as varchar), '\\N')") -%}
    {%- endfor -%}
    {%- if not parts -%}
        {#- Compiled without the relation (sqlfluff's lint target). -#}
        {{ return("md5('')") }}
    {%- endif -%}
    {%- set row_text = "concat_ws('|', " ~ parts | join(', ') ~ ")" -%}
    {#- One MD5 per row, split in its halves: DuckDB's md5_number_upper is the low 64 bits of
        md5_number and md5_number_lower the high 64, so the sums (and every fingerprint a
        warehouse has kept) are those of md5_number_upper and md5_number_lower, each of which
        hashed the row again. -#}
    {%- set row_md5 = "md5_number(" ~ row_text ~ ")" -%}
    md5(
        cast(sum(cast({{ row_md5 }} & 18446744073709551615 as ubigint)) as varchar)
        || ':' || cast(sum(cast({{ row_md5 }} >> 64 as ubigint)) as varchar)
        || ':' || cast(count(*) as varchar)
    )
{%- endmacro %}

{% macro _is_true(value) -%}
    {{ return(value is sameas true or (value is string and value | lower == 'true')) }}
{%- endmacro %}

{% macro _replace_snapshots_hint() -%}
    {{- return(
        "make build-source SOURCE=<mapping file> REPLACE_SNAPSHOTS=1 (python -m"
        ~ " segwarehouse.sources build <mapping file> --replace-snapshots, or dbt --vars"
        ~ " '{replace_snapshots: true}')"
    ) -}}
{%- endmacro %}

{% macro check_snapshot_replacement() -%}
    {#-
        post-hook of int_customer_segments_staged (this build's snapshot): when history already
        keeps a snapshot of the same as-of date, it may only be replaced by one computed from
        the same data: the same fingerprint of the customer features (for a snapshot kept before
        fingerprints existed, the same memberships). Otherwise the build stops here, before any
        history mart is built, saying what to do, unless var('replace_snapshots') is true.
    -#}
    {%- if execute -%}
        {%- set kept = kept_history_relation('segment_snapshots') -%}
        {%- set kept_columns = adapter.get_columns_in_relation(kept) | map(attribute='name')
            | list if kept is not none else [] -%}
        {%- if kept is not none and '_features_fingerprint' in kept_columns -%}
            {%- set compared = run_query(
                "with staged as (select * from " ~ this ~ "),"
                ~ " kept as (select * from " ~ kept
                ~ " where as_of_date in (select as_of_date from staged)),"
                ~ " staged_dates as (select as_of_date, any_value(_features_fingerprint) as"
                ~ " fingerprint, count(distinct customer_id) as customer_count from staged"
                ~ " group by all),"
                ~ " kept_dates as (select as_of_date, any_value(_features_fingerprint) as"
                ~ " fingerprint, count(distinct customer_id) as customer_count,"
                ~ " strftime(cast(max(_scored_at) as timestamp), '%Y-%m-%d %H:%M')"
                ~ " as scored_at from kept group by all),"
                ~ " changed as (select coalesce(staged.as_of_date, kept.as_of_date) as"
                ~ " as_of_date, count(*) filter (where staged.segmentation = 'kmeans'"
                ~ " and kept.segment_id is not null) as kmeans_moved,"
                ~ " count(*) as changed_rows from staged full outer join kept using"
                ~ " (as_of_date, customer_id, segmentation)"
                ~ " where staged.segment_id is distinct from kept.segment_id group by all)"
                ~ " select cast(kept_dates.as_of_date as varchar) as as_of_date,"
                ~ " kept_dates.fingerprint as kept_fingerprint,"
                ~ " staged_dates.fingerprint as staged_fingerprint,"
                ~ " kept_dates.customer_count as kept_customers,"
                ~ " staged_dates.customer_count as staged_customers, kept_dates.scored_at,"
                ~ " coalesce(changed.kmeans_moved, 0) as kmeans_moved,"
                ~ " coalesce(changed.changed_rows, 0) as changed_rows"
                ~ " from kept_dates inner join staged_dates using (as_of_date)"
                ~ " left join changed using (as_of_date)"
            ) -%}
            {%- for row in compared.rows -%}
                {%- set unchanged = row['kept_fingerprint'] == row['staged_fingerprint']
                    or (row['kept_fingerprint'] is none and row['changed_rows'] == 0) -%}
                {%- if not unchanged and _is_true(var('replace_snapshots', false)) -%}
                    {%- do log('history: the segment snapshot of ' ~ row['as_of_date']
                        ~ ' will be replaced by this build\'s (replace_snapshots: true), if the'
                        ~ ' build passes', info=true) -%}
                {%- elif not unchanged -%}
                    {%- set how = (
                        'its features fingerprint ' ~ row['kept_fingerprint'][:12]
                        ~ ' differs from this build\'s, ' ~ row['staged_fingerprint'][:12]
                    ) if row['kept_fingerprint'] is not none else (
                        'it was kept before snapshots carried a fingerprint of their data, and'
                        ~ ' this build\'s memberships differ from it'
                    ) -%}
                    {{ exceptions.raise_compiler_error(
                        "History is protected: this warehouse keeps a segment snapshot of "
                        ~ row['as_of_date'] ~ " (" ~ '{:,}'.format(row['kept_customers'])
                        ~ " customers, written " ~ row['scored_at'] ~ " UTC) computed from other"
                        ~ " data than this build's: " ~ how ~ " (" ~ '{:,}'.format(row['staged_customers'])
                        ~ " customers; " ~ '{:,}'.format(row['kmeans_moved']) ~ " would change k-means"
                        ~ " segment). The build stops here: nothing of it is kept or published."
                        ~ " If this build's data is right for " ~ row['as_of_date'] ~ " (late or"
                        ~ " corrected data), replace the kept snapshot: "
                        ~ _replace_snapshots_hint() ~ ". If the kept snapshot is right, build"
                        ~ " the data it was computed from, or another as-of date (AS_OF=YYYY-MM-DD"
                        ~ " / --as-of). To delete a bad snapshot or start history over, see"
                        ~ " docs/segments.md, Repairing history."
                    ) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as snapshot_replacement_checked
{%- endmacro %}

{% macro _history_statuses(results) -%}
    {#- unique_id: status (text) of every result of the run. -#}
    {%- set statuses = {} -%}
    {%- for result in results -%}
        {%- do statuses.update({result.node.unique_id: result.status | string | lower}) -%}
    {%- endfor -%}
    {{ return(statuses) }}
{%- endmacro %}

{% macro _why_history_is_not_kept(statuses) -%}
    {#- '' when the run was a complete build in which everything passed, else why not. -#}
    {%- set failed = [] -%}
    {%- set skipped = [] -%}
    {%- for unique_id, status in statuses.items()
        if status not in ['success', 'pass', 'warn', 'no-op'] -%}
        {%- do (skipped if status == 'skipped' else failed).append(
            unique_id.split('.')[2] ~ ' (' ~ status ~ ')'
        ) -%}
    {%- endfor -%}
    {%- if failed or skipped -%}
        {%- set failures = (failed | length ~ ' node(s) failed: ' ~ failed[:5] | join(', ')
            ~ (', ...' if failed | length > 5 else '') ~ '; ') if failed else '' -%}
        {{ return(failures ~ skipped | length ~ ' skipped') }}
    {%- endif -%}
    {#- The production selection (selectors.yml) leaves out the development checks on
        purpose: they check the project's SQL and run in make test. -#}
    {%- set missing = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type in ['model', 'seed', 'snapshot', 'test']
        and node.config.get('enabled', true)
        and node.config.get('materialized') != 'ephemeral'
        and node.unique_id not in statuses
        and 'development_check' not in node.tags -%}
        {#- A test of a disabled model (another source's staging) never runs. -#}
        {%- set parents = node.depends_on.nodes -%}
        {%- set runnable = [] -%}
        {%- for parent in parents if parent in graph.nodes or parent in graph.sources -%}
            {%- do runnable.append(parent) -%}
        {%- endfor -%}
        {%- if runnable | length == parents | length -%}
            {%- do missing.append(node.unique_id.split('.')[2]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ return('a partial or untested run: ' ~ missing | length ~ ' model(s), seed(s) or'
            ~ ' data test(s) of the project did not run, e.g. ' ~ missing[:3] | join(', ')) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro keep_history(results) -%}
    {#-
        on-run-end: keep this build's history (kept_tables()) when the run was a complete
        `dbt build` in which every model, seed and data test passed (warnings allowed); else
        leave history as it was and say why. All tables are written in one transaction.
        Returns a no-op statement.
    -#}
    {%- if execute -%}
        {%- set statuses = _history_statuses(results) -%}
        {%- set ran = [] -%}
        {%- for kept in kept_tables()
            if ('model.' ~ project_name ~ '.' ~ kept['model']) in statuses -%}
            {%- do ran.append(kept['name']) -%}
        {%- endfor -%}
        {%- if ran -%}
            {%- set why_not = _why_history_is_not_kept(statuses) -%}
            {%- if why_not -%}
                {%- do log('history not kept: ' ~ why_not ~ '. Segment snapshots and models are'
                    ~ ' kept only at the end of a complete dbt build in which every model, seed'
                    ~ ' and data test passed; history is as it was before this run.', info=true) -%}
            {%- else -%}
                {%- do _write_history() -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as history_checked
{%- endmacro %}

{% macro _write_history() -%}
    {#- Write this build's rows into the kept tables, and one row into history.kept_builds
        saying what was kept, in one transaction (dbt opens it with the first statement). -#}
    {%- set schema = history_schema() -%}
    {%- set as_of_dates = _model_relation('int_as_of_dates_resolved') -%}
    {%- set snapshots = _model_relation('int_customer_segments_staged') -%}
    {%- set models = _model_relation('int_segment_models_fitted') -%}
    {%- set kept_models = kept_history_relation('segment_models') -%}
    {%- set lifetime_value_models = _model_relation('int_lifetime_value_models_fitted') -%}
    {%- set kept_lifetime_value_models = kept_history_relation('lifetime_value_models') -%}
    {%- set new_lifetime_value_fits = run_query(
        'select count(*) from ' ~ lifetime_value_models
        ~ (' where _model_version not in (select _model_version from '
            ~ kept_lifetime_value_models ~ ')' if kept_lifetime_value_models is not none else '')
    ).columns[0].values()[0] -%}
    {%- set has_identity = run_query(
        "select count(*) from information_schema.tables where table_schema = 'mapped_source'"
        ~ " and table_name = 'source_identity'"
    ).columns[0].values()[0] -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- do run_query(
        'create table if not exists ' ~ schema ~ '.kept_builds (invocation_id varchar,'
        ~ ' kept_at timestamp, as_of_date date, source_identity varchar,'
        ~ ' features_fingerprint varchar, replaced_fingerprint varchar,'
        ~ ' snapshot_row_count bigint, model_versions varchar[])'
    ) -%}
    {%- set kept_snapshots = kept_history_relation('segment_snapshots') -%}
    {%- set kept_fingerprint_columns = adapter.get_columns_in_relation(kept_snapshots)
        | map(attribute='name') | list if kept_snapshots is not none else [] -%}
    {#- Logged first: the model versions this build adds are those not kept yet; and the
        fingerprint of a kept snapshot of the date computed from other data, replaced
        (replace_snapshots). -#}
    {%- do run_query(
        'insert into ' ~ schema ~ '.kept_builds select ' ~ string_literal(invocation_id)
        ~ ', current_timestamp, as_of_dates.as_of_date, '
        ~ ('(select source_identity from mapped_source.source_identity'
            ~ ' order by recorded_at desc limit 1)' if has_identity else 'null')
        ~ ', (select any_value(_features_fingerprint) from ' ~ snapshots ~ ')'
        ~ (', (select any_value(kept._features_fingerprint) from ' ~ kept_snapshots ~ ' as kept'
            ~ ' where kept.as_of_date = as_of_dates.as_of_date and kept._features_fingerprint'
            ~ ' is distinct from (select any_value(_features_fingerprint) from ' ~ snapshots ~ '))'
            if '_features_fingerprint' in kept_fingerprint_columns else ', null')
        ~ ', (select count(*) from ' ~ snapshots ~ ')'
        ~ ', (select coalesce(list(distinct _model_version order by _model_version), [])'
        ~ ' from ' ~ models
        ~ (' where _model_version not in (select _model_version from ' ~ kept_models ~ ')'
            if kept_models is not none else '')
        ~ ') from ' ~ as_of_dates ~ ' as as_of_dates'
    ) -%}
    {%- for kept in kept_tables() -%}
        {%- set source = _model_relation(kept['model']) -%}
        {%- set table = schema ~ '.' ~ kept['name'] -%}
        {%- set existing = kept_history_relation(kept['name']) -%}
        {%- if existing is none -%}
            {%- do run_query(
                'create table ' ~ table ~ ' as select * from ' ~ source ~ ' where false'
            ) -%}
        {%- else -%}
            {#- A column the model gained since (null in the rows kept before). -#}
            {%- set have = adapter.get_columns_in_relation(existing) | map(attribute='name')
                | map('lower') | list -%}
            {%- for column in adapter.get_columns_in_relation(source)
                if column.name | lower not in have -%}
                {%- do run_query(
                    'alter table ' ~ table ~ ' add column ' ~ adapter.quote(column.name) ~ ' '
                    ~ column.data_type
                ) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if kept['key'] == 'as_of_date' -%}
            {#- The rows of the build's as-of date replace the kept ones, if it has any. -#}
            {%- set rows = 'select * from ' ~ source ~ ' where as_of_date in (select as_of_date'
                ~ ' from ' ~ as_of_dates ~ ')' -%}
            {%- do run_query(
                'delete from ' ~ table ~ ' where as_of_date in (select as_of_date from ('
                ~ rows ~ '))'
            ) -%}
            {%- do run_query('insert into ' ~ table ~ ' by name ' ~ rows) -%}
        {%- else -%}
            {%- do run_query(
                'insert into ' ~ table ~ ' by name select * from ' ~ source ~ ' where '
                ~ kept['key'] ~ ' not in (select ' ~ kept['key'] ~ ' from ' ~ table
                ~ ' where ' ~ kept['key'] ~ ' is not null)'
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {%- for row in run_query(
        'select cast(as_of_date as varchar), snapshot_row_count, len(model_versions) from '
        ~ schema ~ '.kept_builds where invocation_id = ' ~ string_literal(invocation_id)
    ).rows -%}
        {%- do log('history kept: the segment snapshot of ' ~ row[0] ~ ' ('
            ~ '{:,}'.format(row[1]) ~ ' rows)'
            ~ (', ' ~ row[2] ~ ' new segment model version(s)' if row[2] else '')
            ~ ' and its feature drift, in schema ' ~ schema ~ '.', info=true) -%}
    {%- endfor -%}
    {%- if new_lifetime_value_fits -%}
        {%- do log('history kept: ' ~ new_lifetime_value_fits ~ ' new customer lifetime value'
            ~ ' fit(s), in ' ~ schema ~ '.lifetime_value_models.', info=true) -%}
    {%- endif -%}
{%- endmacro %}

{% macro forget_history(as_of_date=none, model_version=none, everything=false) -%}
    {#-
        run-operation to repair history (docs/segments.md, Repairing history): delete the kept
        snapshot and feature drift of one as-of date, or one stored segment model version with
        its training bins (or one customer lifetime value fit), or everything kept (history
        starts over with the next build). Run it while no build runs.
    -#}
    {%- set schema = history_schema() -%}
    {%- set deletes = [] -%}
    {%- if _is_true(everything) -%}
        {%- for kept in kept_tables() -%}
            {%- do deletes.append((kept['name'], 'true')) -%}
        {%- endfor -%}
        {%- do deletes.append(('kept_builds', 'true')) -%}
    {%- elif as_of_date is not none -%}
        {%- set day = 'cast(' ~ string_literal(as_of_date | string) ~ ' as date)' -%}
        {%- do deletes.append(('segment_snapshots', 'as_of_date = ' ~ day)) -%}
        {%- do deletes.append(('segment_feature_drift', 'as_of_date = ' ~ day)) -%}
        {%- do deletes.append(('kept_builds', 'as_of_date = ' ~ day)) -%}
    {%- elif model_version is not none -%}
        {%- set version = string_literal(model_version | string) -%}
        {%- do deletes.append(('segment_models', '_model_version = ' ~ version)) -%}
        {%- do deletes.append(('segment_model_feature_bins', '_model_version = ' ~ version)) -%}
        {%- do deletes.append(('segment_feature_drift', '_model_version = ' ~ version)) -%}
        {%- do deletes.append(('lifetime_value_models', '_model_version = ' ~ version)) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "forget_history needs one of: --args '{as_of_date: YYYY-MM-DD}' (a snapshot and its"
            ~ " feature drift), --args '{model_version: <_model_version>}' (a stored segment"
            ~ " model and its bins, or a customer lifetime value fit), --args '{everything:"
            ~ " true}' (start history over)"
        ) }}
    {%- endif -%}
    {%- set done = [] -%}
    {%- for table, condition in deletes -%}
        {%- set relation = kept_history_relation(table) -%}
        {%- if relation is not none -%}
            {%- do done.append(table) -%}
            {%- set deleted = run_query(
                'delete from ' ~ relation ~ ' where ' ~ condition ~ ' returning 1'
            ).rows | length -%}
            {%- do log('forget_history: deleted ' ~ '{:,}'.format(deleted) ~ ' row(s) of '
                ~ relation, info=true) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if done -%}
        {%- do adapter.commit() -%}
    {%- else -%}
        {%- do log('forget_history: this warehouse keeps no history yet', info=true) -%}
    {%- endif -%}
{%- endmacro %}
