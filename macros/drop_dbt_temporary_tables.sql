{% macro drop_dbt_temporary_tables() -%}
    {#-
        on-run-end: drops the relations dbt left in the warehouse under a model's name followed
        by __dbt_tmp. dbt-duckdb builds the new rows of an incremental Python model into
        <model>__dbt_tmp<timestamp> in the default schema: it asks for a temporary table, but
        its Python writer creates an ordinary one, which the materialization then never drops
        (it drops only the relations it did not ask to be temporary). Every build that ran
        int_segment_models_fitted incrementally left one, empty when nothing was trained. A
        failed or killed build can leave a <model>__dbt_tmp too. Only relations of the build's
        own database whose name starts with one of this project's model, seed or snapshot
        names followed by __dbt_tmp are dropped. Returns a no-op statement.
    -#}
    {%- if execute -%}
        {%- set prefixes = [] -%}
        {%- for node in graph.nodes.values()
            if node.resource_type in ('model', 'seed', 'snapshot') -%}
            {%- do prefixes.append((node.alias or node.name) ~ '__dbt_tmp') -%}
        {%- endfor -%}
        {%- set candidates = run_query(
            "select database_name, schema_name, table_name, 'table' as relation_type"
            ~ " from duckdb_tables()"
            ~ " where database_name = current_database() and not temporary"
            ~ " and contains(table_name, '__dbt_tmp')"
            ~ " union all"
            ~ " select database_name, schema_name, view_name, 'view'"
            ~ " from duckdb_views()"
            ~ " where database_name = current_database() and not temporary and not internal"
            ~ " and contains(view_name, '__dbt_tmp')"
            ~ " order by all"
        ) -%}
        {%- for row in candidates.rows -%}
            {%- set matches = [] -%}
            {%- for prefix in prefixes if row[2].startswith(prefix) -%}
                {%- do matches.append(prefix) -%}
            {%- endfor -%}
            {%- if matches -%}
                {%- do adapter.drop_relation(api.Relation.create(
                    database=row[0], schema=row[1], identifier=row[2], type=row[3]
                )) -%}
                {%- do log('dropped ' ~ row[1] ~ '.' ~ row[2] ~ ', left by dbt', info=false) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1 as dbt_temporary_tables_dropped
{%- endmacro %}
