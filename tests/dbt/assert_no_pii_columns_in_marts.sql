-- Fails with each mart column whose name says it holds a name, email, phone number or birth
-- date. Boolean has_ flags (has_phone) say only whether a value exists. pytest also scans the
-- values (tests/python/test_warehouse.py). A one-way hash of an identifier is allowed ("PII
-- hashed or dropped"): dim_customer_activation_identifiers.email_sha256, the hashed email ad
-- platforms match audiences on, ends in _sha256, so no name here needs an exception for it.
-- depends_on: {{ ref('dim_customers') }}
-- depends_on: {{ ref('fct_customer_features') }}
-- depends_on: {{ ref('fct_customer_demographic_features') }}
-- depends_on: {{ ref('fct_customer_behavioural_features') }}
-- depends_on: {{ ref('fct_customer_lifetime_values') }}
-- depends_on: {{ ref('dim_customer_segments') }}
-- depends_on: {{ ref('dim_segment_profiles') }}
-- depends_on: {{ ref('fct_segment_kpis') }}
-- depends_on: {{ ref('fct_segment_model_runs') }}
-- depends_on: {{ ref('fct_segment_feature_drift') }}
-- depends_on: {{ ref('dim_segments') }}
-- depends_on: {{ ref('fct_customer_segment_history') }}
-- depends_on: {{ ref('fct_segment_transitions') }}
-- depends_on: {{ ref('fct_segment_share_drift') }}
-- depends_on: {{ ref('fct_experiment_segment_results') }}
-- depends_on: {{ ref('fct_campaign_segment_performance') }}
-- depends_on: {{ ref('fct_segment_cohort_retention') }}
-- depends_on: {{ ref('fct_segment_monthly_trends') }}
-- depends_on: {{ ref('fct_quarantine_summary') }}
-- depends_on: {{ ref('dim_customer_activation_identifiers') }}
-- depends_on: {{ ref('fct_customer_segment_changes') }}
-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('dim_dates') }}
-- depends_on: {{ ref('dim_build_settings') }}
with

mart_columns as (
    select
        table_name,
        column_name
    from information_schema.columns
    where table_schema = '{{ generate_schema_name("marts", none) }}'
)

select *
from mart_columns
where
    regexp_matches(
        lower(column_name),
        '(^|_)(first_name|last_name|full_name|name|email|email_address|phone|phone_number'
        || '|birth_date|date_of_birth)$'
    )
    -- Names of features, segments, experiments, campaigns, sources and settings are labels, not
    -- people's.
    and not regexp_matches(
        lower(column_name), '(^|_)(feature|segment|experiment|campaign|source|setting)_name$'
    )
    and not starts_with(lower(column_name), 'has_')
