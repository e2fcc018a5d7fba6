{% test rows_reconcile_with_source(
    model, entity, quarantine_model='stg_mapped__quarantined_rows', source_tables=none
) %}
    {#-
        Nothing silently dropped: fails unless the entity's raw rows (as the mapping reads
        them from the source, derived ones included) equal the model's kept rows plus the
        quarantined rows of that entity (of `source_tables`, when its rows come from several
        raw tables, e.g. campaign sends and responses).
    -#}
    with

    raw_rows as (
        select count(*) as row_count
        from ({{ mapped_rows(entity, mapped_fields(entity)) }}) as mapped
    ),

    kept_rows as (
        select count(*) as row_count from {{ model }}
    ),

    quarantined_rows as (
        select count(*) as row_count
        from {{ ref(quarantine_model) }}
        where source_table in (
            {%- for table in source_tables or [entity] %}
            '{{ table }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    )

    select
        raw_rows.row_count as raw_row_count,
        kept_rows.row_count as kept_row_count,
        quarantined_rows.row_count as quarantined_row_count
    from raw_rows
    cross join kept_rows
    cross join quarantined_rows
    where raw_rows.row_count != kept_rows.row_count + quarantined_rows.row_count
{% endtest %}
