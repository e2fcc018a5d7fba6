{% test unique_combination_of_columns(model, combination_of_columns) %}
    {#- Fails with one row per duplicated key of a composite grain. -#}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as duplicate_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
