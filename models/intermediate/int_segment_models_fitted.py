from segwarehouse.clustering import (
    ClusteringConfig,
    fit_segment_model,
    model_to_frame,
    require_features,
)


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClusteringConfig.from_settings(
        features=dbt.config.get("features"),
        null_fills=dbt.config.get("null_fills"),
        k_min=dbt.config.get("k_min"),
        k_max=dbt.config.get("k_max"),
        n_clusters=dbt.config.get("n_clusters"),
        k_selection_criterion=dbt.config.get("k_selection_criterion"),
        k_selection_sample_size=dbt.config.get("k_selection_sample_size"),
        random_state=dbt.config.get("random_state"),
        skew_threshold=dbt.config.get("skew_threshold"),
        n_init=dbt.config.get("n_init"),
    )
    customer_features = dbt.ref("fct_customer_features")
    require_features(customer_features.columns, config.required_columns)
    columns = ", ".join(["customer_id", "as_of_date", *config.required_columns])
    features = customer_features.project(columns).order("customer_id").df()
    as_of_date = features["as_of_date"].iloc[0] if len(features) else None
    return model_to_frame(fit_segment_model(features, config, as_of_date=as_of_date))
