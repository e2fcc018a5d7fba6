from segwarehouse.clustering import assign_segments, model_from_frame


def model(dbt, session):
    dbt.config(materialized="table")
    segment_model = model_from_frame(dbt.ref("int_segment_models_fitted").df())
    columns = ", ".join(["customer_id", *segment_model.required_columns])
    features = dbt.ref("fct_customer_features").project(columns).order("customer_id").df()
    return assign_segments(segment_model, features)
