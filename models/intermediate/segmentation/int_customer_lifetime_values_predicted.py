from segwarehouse.clv import ClvConfig, predict_customer_lifetime_values


def model(dbt, session):
    config = ClvConfig.from_settings(
        horizon_months=dbt.config.get("horizon_months"),
        monthly_discount_rate=dbt.config.get("monthly_discount_rate"),
        churn_probability_alive_threshold=dbt.config.get("churn_probability_alive_threshold"),
        time_unit_days=dbt.config.get("time_unit_days"),
        calibration_start_date=dbt.config.get("calibration_start_date"),
    )
    as_of_date = dbt.ref("int_as_of_dates_resolved").project("as_of_date").fetchall()[0][0]
    # Kept orders, as in net revenue: not cancelled, and not returned by the as-of date.
    kept = (
        f"order_date <= date '{as_of_date}' and not is_cancelled "
        f"and (returned_date is null or returned_date > date '{as_of_date}')"
    )
    if config.calibration_start_date is not None:
        kept += f" and order_date >= date '{config.calibration_start_date}'"
    # A relation, not a frame: DuckDB summarizes the orders, pandas gets one row per customer.
    orders = (
        dbt.ref("int_orders_valued").filter(kept).project("customer_id, order_date, net_amount")
    )
    return predict_customer_lifetime_values(orders, as_of_date, config)
