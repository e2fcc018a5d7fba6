from segwarehouse.clustering import (
    ClusteringConfig,
    parse_flag,
    require_features,
    train_if_due,
)
from segwarehouse.history import kept_table, with_new_rows


def model(dbt, session):
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
        max_training_rows=dbt.config.get("max_training_rows"),
        id_match_max_distance=dbt.config.get("id_match_max_distance"),
        max_categories=dbt.config.get("max_categories"),
    )
    retrain_requested = parse_flag("retrain", dbt.config.get("retrain"))
    customer_features = dbt.ref("int_customer_features_combined")
    require_features(customer_features.columns, config.required_columns)
    # The model versions kept by earlier builds (history.segment_models), none yet at first.
    kept = kept_table(session, "segment_models")
    history = session.sql(f"select * from {kept}").df() if kept else None
    columns = ", ".join(["customer_id", "as_of_date", *config.required_columns])

    def load_features():
        return customer_features.project(columns).order("customer_id").df()

    new_rows = train_if_due(history, load_features, config, retrain_requested)
    return with_new_rows(session, kept, new_rows, "trained_segment_model_rows")
