{% test rows_reconcile_with_source(model, source_name, table_name, quarantine_model='stg_shop__quarantined_rows') %}
    {#-
        Nothing silently dropped: fails unless the source table's raw rows equal the model's
        (kept) rows plus the quarantined rows of that table.
    -#}
    with

    raw_rows as (
        select count(*) as row_count from {{ source(source_name, table_name) }}
    ),

    kept_rows as (
        select count(*) as row_count from {{ model }}
    ),

    quarantined_rows as (
        select count(*) as row_count
        from {{ ref(quarantine_model) }}
        where source_table = '{{ table_name }}'
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
