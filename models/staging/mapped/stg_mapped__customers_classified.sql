{#- The post-hook stops the build when most rows are quarantined (check_quarantined_share). -#}
{{ config(post_hook="{{ check_quarantined_share() }}") }}
{%- set fields = mapped_fields('customers') -%}
{#- birth_date, gender and acquisition_channel are attributes: a bad one is nulled and
    flagged (attribute_issue), never a reason to quarantine the customer with their orders. -#}
{%- set types = {
    'signup_date': 'date',
    'is_loyalty_member': 'boolean',
    'snapshot_date': 'date',
} -%}
{%- set genders = accepted_values('customers', 'gender') -%}
{%- set acquisition_channels = accepted_values('customers', 'acquisition_channel') -%}
{#- Attribute, behaviour and spend columns: raw name -> (typed name, type, source spec). -#}
{%- set extra = customer_extra_columns() -%}
{#- The quarantine's copy of a raw row: no names, phone or birth date, the email hashed. -#}
{%- set raw_struct_fields = [
    ('customer_id', 'customer_id'),
    ('email_hash', hash_pii(clean_text('email'))),
    ('has_phone', clean_text('phone') ~ ' is not null'),
    ('gender', 'gender'),
    ('country', 'country'),
    ('region', 'region'),
    ('city', 'city'),
    ('signup_date', 'signup_date'),
    ('acquisition_channel', 'acquisition_channel'),
    ('is_loyalty_member', 'is_loyalty_member'),
    ('snapshot_date', 'snapshot_date'),
] -%}
{%- for raw_name in extra -%}{%- do raw_struct_fields.append((raw_name, raw_name)) -%}{%- endfor %}

{%- set rules = [
    ('null_key', 'row_key is null', "'customer_id is missing'"),
    ('unparseable_value', 'has_unparseable_value', 'unparseable_detail'),
    ('duplicate_key', is_duplicate_key(), duplicate_detail('customer_id')),
] -%}
{%- do rules.extend(missing_value_rules('customers', ['signup_date', 'country'])) -%}
{%- do rules.extend([
    ('invalid_value', is_outside_event_dates('signup_date'), before_earliest_detail('signup_date')),
]) -%}
{#- Precomputed counts and spend cannot be negative. -#}
{%- do rules.extend(negative_value_rules(
    extra.values() | rejectattr(0, 'in', source_attributes() | map(attribute='name') | list)
    | map(attribute=0) | list
)) -%}
{%- do rules.extend([
    ('future_date', is_future('signup_date'), future_detail('signup_date')),
    ('future_date', is_future('snapshot_date'), future_detail('snapshot_date')),
]) -%}
{#- Why an attribute is nulled, checked in this order. -#}
{%- set attribute_rules = [
    ('birth_date', 'birth_date_is_unparseable', "'birth_date does not parse as date'"),
    ('birth_date', "birth_date < date '1900-01-01'", "'birth_date before 1900-01-01'"),
    ('birth_date', is_future('birth_date'), future_detail('birth_date')),
    ('birth_date', 'birth_date > signup_date', "'birth_date after signup_date'"),
    ('gender', not_one_of('gender', genders), not_one_of_detail('gender', genders)),
    ('acquisition_channel', not_one_of('acquisition_channel', acquisition_channels),
        not_one_of_detail('acquisition_channel', acquisition_channels)),
] -%}
{#- Precomputed counts of a kind of purchase cannot exceed the purchases. -#}
{%- do rules.extend(count_within_total_rules(
    extra.values() | map(attribute=0) | list, 'behaviour_order_count'
)) -%}

with

source as (
    {{ mapped_rows('customers', fields) }}
),

typed as (
    select
        {{ clean_text('customer_id') }} as row_key,
        {{ parsed('customers', 'customer_id', 'key') }} as customer_id,
        {{ key_text('customer_id') }} as source_customer_id,
        -- Names and phone numbers stop here; the email survives only as a one-way hash.
        {{ hash_pii(clean_text('email')) }} as email_hash,
        {{ clean_text('phone') }} is not null as has_phone,
        {{ parsed('customers', 'birth_date', 'date') }} as birth_date,
        {{ is_unparseable('birth_date', 'date', field_spec('customers', 'birth_date')) }}
            as birth_date_is_unparseable,
        lower({{ clean_text('gender') }}) as gender,
        {{ clean_text('country') }} as country,
        {{ clean_text('region') }} as region,
        {{ clean_text('city') }} as city,
        {{ parsed('customers', 'signup_date', 'date') }} as signup_date,
        lower({{ clean_text('acquisition_channel') }}) as acquisition_channel,
        {{ parsed('customers', 'is_loyalty_member', 'boolean') }} as is_loyalty_member,
        {{ parsed('customers', 'snapshot_date', 'date') }} as snapshot_date,
        {%- for raw_name, typed in extra.items() %}
        {{ parse_value(raw_name, typed[1], typed[2]) }} as {{ typed[0] }},
        {%- endfor %}
        cast(null as double) as row_amount,
        (
            {{ unparseable_fields('customers', types) }}
            {%- for raw_name, typed in extra.items() %}
            or {{ is_unparseable(raw_name, typed[1], typed[2]) }}
            {%- endfor %}
        ) as has_unparseable_value,
        coalesce(
            {{ unparseable_detail('customers', types) }},
            {{ extra_unparseable_detail(extra) }}
        ) as unparseable_detail,
        source as raw_struct,
        {{ row_struct(raw_struct_fields) }} as pii_free_raw_struct
    from source
),

counted as (
    {{ with_copy_counts('typed', 'customer_id') }}
),

classified as (
    {{ classify_rows('counted', rules) }}
),

attributes_checked as (
    select
        *,
        {{ attribute_issue('birth_date', attribute_rules) }} as birth_date_issue,
        {{ attribute_issue('gender', attribute_rules) }} as gender_issue,
        {{ attribute_issue('acquisition_channel', attribute_rules) }} as acquisition_channel_issue
    from classified
),

final as (
    select
        'customers' as source_table,
        row_key,
        quarantine_reason,
        quarantine_detail,
        row_amount,
        {{ quarantined_raw_row('pii_free_raw_struct') }} as raw_row,
        customer_id,
        source_customer_id,
        email_hash,
        has_phone,
        case when birth_date_issue is null then birth_date end as birth_date,
        case when gender_issue is null then gender end as gender,
        country,
        region,
        city,
        signup_date,
        case when acquisition_channel_issue is null then acquisition_channel end
            as acquisition_channel,
        is_loyalty_member,
        {{ leading_columns(extra.values() | map(attribute=0) | list) }}snapshot_date,
        nullif(concat_ws('; ', birth_date_issue, gender_issue, acquisition_channel_issue), '')
        || '; nulled' as attribute_issue
    from attributes_checked
)

select * from final
