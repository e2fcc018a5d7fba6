{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('campaigns') -%}
{%- set types = {'start_date': 'date', 'end_date': 'date', 'cost': 'decimal'} -%}
{%- set channels = accepted_values('campaigns', 'channel') -%}

{%- set rules = [
    ('null_key', 'row_key is null', "'campaign_id is missing'"),
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('campaign_id')),
] -%}
{%- do rules.extend(missing_value_rules('campaigns', ['channel', 'start_date'])) -%}
{%- do rules.extend([
    ('invalid_value', not_one_of('channel', channels), not_one_of_detail('channel', channels)),
    ('invalid_value', 'cost < 0', "'cost is negative'"),
    ('invalid_value', 'cost > ' ~ setting('quarantine_max_campaign_cost'),
        "'cost above quarantine_max_campaign_cost " ~ setting('quarantine_max_campaign_cost') ~ "'"),
    ('invalid_value', is_outside_event_dates('start_date'), before_earliest_detail('start_date')),
    ('future_date', is_future('start_date'), future_detail('start_date')),
    ('inconsistent', 'end_date < start_date', "'end_date before start_date'"),
]) -%}

with

source as (
    {{ mapped_rows('campaigns', fields) }}
),

typed as (
    select
        {{ clean_text('campaign_id') }} as row_key,
        {{ parsed('campaigns', 'campaign_id', 'key') }} as campaign_id,
        {{ clean_text('name') }} as campaign_name,
        lower({{ clean_text('channel') }}) as channel,
        {{ parsed('campaigns', 'start_date', 'date') }} as start_date,
        {{ parsed('campaigns', 'end_date', 'date') }} as end_date,
        {{ parsed('campaigns', 'cost', 'decimal') }} as cost,
        {{ parse_value('cost', 'number', field_spec('campaigns', 'cost')) }} as row_amount,
        {{ unparseable_fields('campaigns', types) }} as has_unparseable_value,
        {{ unparseable_detail('campaigns', types) }} as unparseable_detail,
        source as raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed', 'campaign_id') }}
),

classified as (
    {{ classify_rows('counted', rules) }}
),

final as (
    select
        'campaigns' as source_table,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        {{ quarantined_raw_row() }} as raw_row,
        campaign_id,
        campaign_name,
        channel,
        start_date,
        end_date,
        cost
    from classified
)

select * from final
