from segwarehouse.experiments import AGGREGATE_COLUMNS, ExperimentConfig, compare_variants


def model(dbt, session):
    config = ExperimentConfig.from_settings(
        conversion_window_days=dbt.config.get("conversion_window_days"),
        min_customers_per_variant=dbt.config.get("min_customers_per_variant"),
        min_conversions_per_variant=dbt.config.get("min_conversions_per_variant"),
        confidence_level=dbt.config.get("confidence_level"),
        control_variant=dbt.config.get("control_variant"),
    )
    aggregates = (
        dbt.ref("int_experiment_assignments_aggregated")
        .project(", ".join(AGGREGATE_COLUMNS))
        .order("experiment_name, segmentation, segment_id, variant")
        .df()
    )
    return compare_variants(aggregates, config)
