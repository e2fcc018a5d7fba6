{% macro check_quarantined_share(table_label=none) -%}
    {#-
        post-hook of a classified staging model (one row per raw row, quarantine_reason null
        when kept): when the share of quarantined rows is above var('quarantine_max_share'),
        fail the build naming the reasons, their details and counts; above
        var('quarantine_warn_share'), warn. Mostly quarantined data means a mapping or a
        setting is wrong, and must not surface later as an unrelated failure or a thin mart.
    -#}
    {%- if execute -%}
        {%- set label = table_label or this.identifier.replace('stg_mapped__', '').replace('_classified', '') -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {%- set detail = 'quarantine_detail' if 'quarantine_detail' in columns else "''" -%}
        {%- set counts = run_query(
            'select quarantine_reason, ' ~ detail ~ ' as detail, count(*) as row_count,'
            ~ ' sum(count(*)) over () as raw_count from ' ~ this
            ~ ' group by 1, 2 order by quarantine_reason is null, row_count desc'
        ) -%}
        {%- set raw_count = counts.rows[0]['raw_count'] if counts.rows else 0 -%}
        {%- set kept = [0] -%}
        {%- set reasons = [] -%}
        {%- for row in counts.rows -%}
            {%- if row['quarantine_reason'] is none -%}
                {%- do kept.append(row['row_count']) -%}
            {%- elif reasons | length < 6 -%}
                {%- do reasons.append(row['quarantine_reason'] ~ ' ' ~ '{:,}'.format(row['row_count'])
                    ~ ((' (' ~ row['detail'] ~ ')') if row['detail'] else '')) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set quarantined = raw_count - kept | sum -%}
        {%- if raw_count > 0 and quarantined > 0 -%}
            {%- set share = quarantined / raw_count -%}
            {%- set message = label ~ ': ' ~ '{:,}'.format(quarantined) ~ ' of '
                ~ '{:,}'.format(raw_count) ~ ' raw rows quarantined ('
                ~ '{:.1%}'.format(share) ~ '): ' ~ reasons | join('; ')
                ~ '. The rows are in staging.'
                ~ ('stg_mapped__quarantined_rows' if source_staging() == 'mapped' else this.identifier)
                ~ ' with their reason.' -%}
            {%- if share > setting('quarantine_max_share') -%}
                {{ exceptions.raise_compiler_error(
                    message ~ ' That is above quarantine_max_share ' ~ setting('quarantine_max_share')
                    ~ ', so the build stops: check the mapping file (columns, value maps,'
                    ~ ' formats) and its settings (quarantine_earliest_date and the bounds), or'
                    ~ ' raise quarantine_max_share if this data really is mostly unusable.'
                ) }}
            {%- elif share > setting('quarantine_warn_share') -%}
                {%- do exceptions.warn(message ~ ' (above quarantine_warn_share '
                    ~ setting('quarantine_warn_share') ~ ')') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as quarantined_share_checked
{%- endmacro %}

{% macro check_quarantined_losses() -%}
    {#-
        post-hook of int_source_rows_counted: the quarantine's cost in money and customers.
        Row shares (check_quarantined_share) miss a few rows that carry much of the revenue,
        and customers lost with a bad attribute. Above var('quarantine_max_loss_share') of the
        raw revenue (the plausible amounts of the lines) or of the raw customers, the build
        fails naming the reasons; above var('quarantine_warn_loss_share') it warns.
    -#}
    {%- if execute -%}
        {#- Customers are counted as ids: a customer is lost when none of their rows is kept
            (a quarantined copy of a kept customer loses nothing); a row without an id is one
            customer lost. A hand-written staging folder's customer rows count as they are. -#}
        {%- if source_staging() == 'mapped' and 'customers' in mapped_tables() -%}
            {%- set customers = "select 'customers' as source_table,"
                ~ " coalesce(reason, 'kept') as row_outcome, count(*) as row_count,"
                ~ " null as revenue_amount from (select row_key, case when"
                ~ " bool_or(quarantine_reason is null) then null else min(quarantine_reason) end"
                ~ " as reason from " ~ ref('stg_mapped__customers_classified')
                ~ " where row_key is not null group by row_key union all select row_key,"
                ~ " quarantine_reason from " ~ ref('stg_mapped__customers_classified')
                ~ " where row_key is null) as customer_ids group by all" -%}
        {%- else -%}
            {%- set customers = "select source_table, row_outcome, row_count, revenue_amount from "
                ~ this ~ " where source_table = 'customers' and row_outcome != 'identical_copy'" -%}
        {%- endif -%}
        {%- set rows = run_query(
            "select * from (select source_table, row_outcome, row_count, revenue_amount from "
            ~ this ~ " where row_outcome != 'identical_copy' and revenue_amount is not null"
            ~ " union all " ~ customers ~ ") as outcomes"
            ~ " order by row_outcome = 'kept', coalesce(revenue_amount, row_count) desc"
        ).rows -%}
        {%- set totals = {'revenue': [0], 'customers': [0]} -%}
        {%- set lost = {'revenue': [0], 'customers': [0]} -%}
        {%- set reasons = {'revenue': [], 'customers': []} -%}
        {%- for row in rows -%}
            {%- set measure = 'customers' if row['source_table'] == 'customers' else 'revenue' -%}
            {%- set value = (row['row_count'] if measure == 'customers' else row['revenue_amount']) or 0 -%}
            {%- do totals[measure].append(value) -%}
            {%- if row['row_outcome'] != 'kept' and value > 0 -%}
                {%- do lost[measure].append(value) -%}
                {%- do reasons[measure].append(row['source_table'] ~ ' ' ~ row['row_outcome'] ~ ' '
                    ~ ('{:,.2f}'.format(value) if measure == 'revenue' else '{:,}'.format(value))) -%}
            {%- endif -%}
        {%- endfor -%}
        {#- Where to see the rows: the marts are not built when this stops the build, so name
            the staging relation that lists each quarantined row with its reason and value. -#}
        {%- set quarantined = run_query(
            "select source_table, row_outcome, row_count from " ~ this
            ~ " where row_outcome not in ('kept', 'identical_copy') and row_count > 0"
            ~ " order by row_count desc, source_table, row_outcome"
        ).rows -%}
        {%- set by_reason = [] -%}
        {%- for row in quarantined -%}
            {%- do by_reason.append(row['source_table'] ~ ' ' ~ row['row_outcome'] ~ ' '
                ~ '{:,}'.format(row['row_count'])) -%}
        {%- endfor -%}
        {%- if source_staging() == 'mapped' -%}
            {#- Named, not ref()'d: a ref here would make every source depend on it. -#}
            {%- set where_rows = "select source_table, quarantine_reason, quarantine_detail,"
                ~ " raw_row from staging.stg_mapped__quarantined_rows in " ~ warehouse_location() -%}
        {%- else -%}
            {%- set where_rows = "staging's quarantined rows in " ~ warehouse_location() -%}
        {%- endif -%}
        {%- set see = " Rows quarantined, by table and reason: " ~ (by_reason | join(', '))
            ~ " (orphan_reference: the order, customer or campaign the row refers to was"
            ~ " quarantined itself or is missing). Each row, its reason and its values: "
            ~ where_rows ~ " (marts.fct_quarantine_summary sums them up once a build passes)." -%}
        {%- set failures = [] -%}
        {%- for measure in ['revenue', 'customers'] if totals[measure] | sum > 0 -%}
            {%- set share = (lost[measure] | sum) / (totals[measure] | sum) -%}
            {%- set message = "The quarantine left out " ~ '{:.1%}'.format(share) ~ " of the raw "
                ~ measure ~ " of source " ~ source_name() ~ " ("
                ~ ('{:,.2f}'.format(lost[measure] | sum) if measure == 'revenue'
                    else '{:,}'.format(lost[measure] | sum)) ~ " of "
                ~ ('{:,.2f}'.format(totals[measure] | sum) if measure == 'revenue'
                    else '{:,}'.format(totals[measure] | sum)) ~ "): "
                ~ reasons[measure] | join('; ') -%}
            {%- if share > setting('quarantine_max_loss_share') -%}
                {%- do failures.append(message ~ ".") -%}
            {%- elif share > setting('quarantine_warn_loss_share') -%}
                {%- do exceptions.warn(message ~ " (above quarantine_warn_loss_share "
                    ~ setting('quarantine_warn_loss_share') ~ "). See marts.fct_quarantine_summary"
                    ~ " and " ~ where_rows ~ ".") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if failures -%}
            {{ exceptions.raise_compiler_error(
                failures | join(' ') ~ " That is above quarantine_max_loss_share "
                ~ setting('quarantine_max_loss_share') ~ ", so the build stops: fix the"
                ~ " mapping or the data (the reasons say which rows), or raise"
                ~ " quarantine_max_loss_share if this loss is expected." ~ see
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1 as quarantined_losses_checked
{%- endmacro %}

{% macro check_as_of_date() -%}
    {#-
        post-hook of int_as_of_dates_resolved: a build needs a date to compute features as of.
        None means no kept activity at all; say why, table by table, instead of letting a
        not_null test report it.
    -#}
    {%- if execute -%}
        {%- set dates = run_query('select as_of_date, data_start_date, data_end_date from ' ~ this).rows -%}
        {%- set row = dates[0] if dates else none -%}
        {%- if row is none or row['as_of_date'] is none -%}
            {%- set counts = run_query(
                'select source_table, row_outcome, row_count from '
                ~ ref('int_source_rows_counted') ~ ' where row_count > 0 order by 1, 2'
            ).rows -%}
            {%- set described = [] -%}
            {%- for count in counts -%}
                {%- do described.append(count['source_table'] ~ ' ' ~ count['row_outcome'] ~ ' '
                    ~ '{:,}'.format(count['row_count'])) -%}
            {%- endfor -%}
            {{ exceptions.raise_compiler_error(
                "Source " ~ source_name() ~ " has no kept activity to compute features as of:"
                ~ " no order, web session, email event or survey answer (nor a customer"
                ~ " snapshot date) survived the quarantine. Rows by table and outcome: "
                ~ (described | join(', ') or 'none') ~ ". See staging's quarantined rows for"
                ~ " the reasons, and check the mapping file."
            ) }}
        {%- elif row['as_of_date'] < row['data_start_date'] or row['as_of_date'] > row['data_end_date'] -%}
            {{ exceptions.raise_compiler_error(
                as_of_date_origin() ~ " = " ~ row['as_of_date'] ~ " is outside the data of source "
                ~ source_name() ~ ": it must lie between " ~ row['data_start_date'] ~ " and "
                ~ row['data_end_date'] ~ " (or be null for the last one)."
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1 as as_of_date_checked
{%- endmacro %}
