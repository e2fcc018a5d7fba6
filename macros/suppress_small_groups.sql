{% macro suppress_small_groups(relation, key_columns, metric_columns, size_column, partition_by=[]) -%}
    {#-
        A select over `relation` that nulls every metric of a group smaller than
        var('kpi_min_group_size') customers and flags it `is_suppressed`. When exactly one
        group of a partition is small, the next smallest is suppressed too, so the small
        one cannot be recovered by subtracting the others from the partition's total.
    -#}
    {%- set min_size = setting('kpi_min_group_size') -%}
    {%- set partition = partition_by | join(', ') -%}
    {%- set over_partition = ('partition by ' ~ partition) if partition_by else '' -%}
    select
        {%- for column in key_columns %}
        {{ column }},
        {%- endfor %}
        {%- for column in metric_columns %}
        case when is_suppressed then null else {{ column }} end as {{ column }},
        {%- endfor %}
        is_suppressed
    from (
        select
            *,
            coalesce(is_small or (small_group_count = 1 and complement_rank = 1), true)
                as is_suppressed
        from (
            select
                *,
                coalesce({{ size_column }} < {{ min_size }}, true) as is_small,
                count(*) filter (
                    where coalesce({{ size_column }} < {{ min_size }}, true)
                ) over ({{ over_partition }}) as small_group_count,
                row_number() over (
                    partition by
                        {{ partition ~ ',' if partition_by else '' }}
                        coalesce({{ size_column }} < {{ min_size }}, true)
                    order by {{ size_column }}, {{ key_columns | join(', ') }}
                ) as complement_rank
            from {{ relation }}
        ) as sized
    ) as flagged
{%- endmacro %}
