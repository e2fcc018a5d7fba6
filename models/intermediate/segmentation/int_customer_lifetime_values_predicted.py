from segwarehouse.clv import ClvConfig, score_with_stored_model_in_batches
from segwarehouse.frames import table_from_frames

# Rows scored and handed to DuckDB at a time: one frame of every customer's ~26 columns took
# gigabytes at 10M customers. The values do not depend on it.
BATCH_ROWS = 200_000


def model(dbt, session):
    config = ClvConfig.from_settings(
        horizon_months=dbt.config.get("horizon_months"),
        monthly_discount_rate=dbt.config.get("monthly_discount_rate"),
        churn_probability_alive_threshold=dbt.config.get("churn_probability_alive_threshold"),
        time_unit_days=dbt.config.get("time_unit_days"),
        calibration_start_date=dbt.config.get("calibration_start_date"),
    )
    as_of_date = dbt.ref("int_as_of_dates_resolved").project("as_of_date").fetchall()[0][0]
    # Kept orders (placed, not cancelled, not returned by the as-of date): the rule's result.
    orders = dbt.ref("int_orders_kept")
    if config.calibration_start_date is not None:
        orders = orders.filter(f"order_date >= date '{config.calibration_start_date}'")
    # A relation, not a frame: DuckDB summarizes the orders, pandas gets one row per customer.
    orders = orders.project("customer_id, order_date, net_amount")
    # Every stored fit (one row each); the one for this as-of date is checked against the
    # settings above before it scores anything.
    models = dbt.ref("int_lifetime_value_models_fitted").df()
    batches = score_with_stored_model_in_batches(orders, as_of_date, config, models, BATCH_ROWS)
    return table_from_frames(session, "scored_lifetime_value_rows", batches)
