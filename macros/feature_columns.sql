{% macro demographic_feature_columns() -%}
    {#-
        The demographic columns of the customer features, in order: the fixed ones, the
        mapping's customer attributes, loyalty. int_customer_features_combined puts them after
        the behavioural columns; fct_customer_demographic_features publishes them and
        fct_customer_behavioural_features every other column, so a new feature is added to
        int_customer_features_combined alone.
    -#}
    {%- set columns = [
        'age_years', 'age_band', 'gender', 'country', 'region', 'city', 'signup_date',
        'tenure_days', 'acquisition_channel'
    ] -%}
    {%- for attribute in source_attributes() -%}
        {%- do columns.append(attribute['name']) -%}
    {%- endfor -%}
    {%- do columns.append('is_loyalty_member') -%}
    {{ return(columns) }}
{%- endmacro %}

{% macro behavioural_feature_columns(relation) -%}
    {#-
        The columns of `relation` (int_customer_features_combined) that are not demographic,
        in order, the key and the as-of date first. Read from the built relation, which a
        build has made by the time the marts compile; a run or build without it fails, and
        anything else without it (sqlfluff's lint, a compile before the first build) gets
        only the key and the date.
    -#}
    {%- set demographic = demographic_feature_columns() -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation)
            if column.name not in demographic -%}
            {%- do columns.append(column.name) -%}
        {%- endfor -%}
        {%- if not columns and flags.WHICH in ['run', 'build'] -%}
            {#- Never publish a mart of two columns: a run must build the model first. -#}
            {{ exceptions.raise_compiler_error(
                relation ~ " does not exist, so its behavioural columns are unknown: build it"
                ~ " first (dbt build --select +" ~ this.name ~ ")"
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(columns or ['customer_id', 'as_of_date']) }}
{%- endmacro %}
