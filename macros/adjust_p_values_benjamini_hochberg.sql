{% macro adjust_p_values_benjamini_hochberg(relation, p_value_columns, partition_by) -%}
    {#-
        A select of every column of `relation` plus `<column>_adjusted` for each of
        `p_value_columns`: its Benjamini-Hochberg adjusted p-value within its family, the rows
        of one partition (`partition_by`) with a p-value in that column. A null p-value is not
        in the family and its adjusted value stays null. For the i-th smallest of m p-values
        p_(i): min over j >= i of p_(j) * m / j, at most 1, so that the adjusted values keep
        the p-values' order (scipy.stats.false_discovery_control(ps, method='bh')). Also adds
        the helper columns _<column>_family_size and _<column>_rank: select what you need.
    -#}
    {%- set partition = partition_by | join(', ') -%}
    select
        ranked.*
        {%- for column in p_value_columns %},
        case
            when ranked.{{ column }} is not null
                then least(
                    1.0,
                    -- m / i first: exactly 1 for the largest p-value, which is then
                    -- its own adjusted value, not p * m / m a rounding below p.
                    min(
                        ranked.{{ column }}
                        * (ranked._{{ column }}_family_size / ranked._{{ column }}_rank)
                    ) over (
                        partition by {{ partition }}
                        order by ranked.{{ column }} desc nulls last, ranked._{{ column }}_rank desc
                        rows between unbounded preceding and current row
                    )
                )
        end as {{ column }}_adjusted
        {%- endfor %}
    from (
        select
            *
            {%- for column in p_value_columns %},
            count({{ column }}) over (partition by {{ partition }}) as _{{ column }}_family_size,
            row_number() over (
                partition by {{ partition }} order by {{ column }} asc nulls last
            ) as _{{ column }}_rank
            {%- endfor %}
        from {{ relation }}
    ) as ranked
{%- endmacro %}
