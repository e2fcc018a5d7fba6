{% macro warn_if_no_category_affinity() -%}
    {#-
        post-hook of fct_segment_category_affinity: when it is empty although segments exist,
        say why in the build's output (every other mart is built): no kept order line of a
        product with a category (a source without order lines, or without categories), or a
        single category for every product (Online Retail II names one, 'uncategorized'),
        which leaves nothing to compare.
    -#}
    {%- if execute -%}
        {%- set published = run_query('select count(*) from ' ~ this).columns[0].values()[0] -%}
        {%- if published == 0 -%}
            {%- set found = run_query(
                'select count(*), max(base_category_count), min(category) from '
                ~ ref('int_order_lines_aggregated_to_segment_categories')
            ).rows[0] -%}
            {%- if found[0] == 0 -%}
                {%- do exceptions.warn(
                    'fct_segment_category_affinity is empty: no kept order line of a product'
                    ~ ' with a category (the source has no order lines, or its products no'
                    ~ ' category). Every other mart is built.'
                ) -%}
            {%- else -%}
                {%- do exceptions.warn(
                    "fct_segment_category_affinity is empty: every product bought has the"
                    ~ " same category ('" ~ found[2] ~ "'), so no segment can buy one more than"
                    ~ " the base does. Map a product category to fill it. Every other mart is"
                    ~ " built."
                ) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as category_affinity_checked
{%- endmacro %}
