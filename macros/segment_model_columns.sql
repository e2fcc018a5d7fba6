{% macro segment_model_columns() -%}
    {#-
        The fct_customer_features columns the k-means model reads: its `features`, then each
        `null_fills` entry that names a column. Read from int_segment_models_fitted's config
        in the graph so the SQL scorer and the Python trainer share one list.
    -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set node_id = 'model.' ~ project_name ~ '.int_segment_models_fitted' -%}
    {%- set node = graph.nodes.get(node_id) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error('segment_model_columns: ' ~ node_id ~ ' not found') }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for feature in node.config.get('features') or [] -%}
        {%- if feature not in columns -%}{%- do columns.append(feature) -%}{%- endif -%}
    {%- endfor -%}
    {%- for fill in (node.config.get('null_fills') or {}).values() -%}
        {%- if fill is string and fill not in columns -%}{%- do columns.append(fill) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error(
            "int_segment_models_fitted config 'features' must list at least one column"
        ) }}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{% macro text_columns_of(relation) -%}
    {#- The text (categorical) columns of a built relation; none while parsing. -#}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set text = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.is_string() -%}
        {%- do text.append(column.name) -%}
    {%- endfor -%}
    {{ return(text) }}
{%- endmacro %}

{% macro current_segmentations() -%}
    {#-
        A select of the segmentations the marts hold (column `segmentation`): rfm always,
        kmeans while a segment model is current (none could be fitted otherwise). For the
        identity tests, which check each segmentation adds up.
    -#}
    select 'rfm' as segmentation
    union all
    select 'kmeans' as segmentation
    where exists (select 1 from {{ ref('int_segment_models_latest') }})
{%- endmacro %}
