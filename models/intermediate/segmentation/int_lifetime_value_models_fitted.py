from segwarehouse.clv import ClvFitConfig, ClvRefitPolicy, fit_if_due
from segwarehouse.history import kept_table, with_new_rows


def model(dbt, session):
    fit_config = ClvFitConfig.from_settings(
        time_unit_days=dbt.config.get("time_unit_days"),
        calibration_start_date=dbt.config.get("calibration_start_date"),
    )
    policy = ClvRefitPolicy.from_settings(
        refit_days=dbt.config.get("refit_days"),
        max_customer_change=dbt.config.get("max_customer_change"),
        requested=dbt.config.get("refit"),
    )
    as_of_date = dbt.ref("int_as_of_dates_resolved").project("as_of_date").fetchall()[0][0]
    # Kept orders (placed, not cancelled, not returned by the as-of date): the rule's result.
    # A relation: DuckDB counts (and, when a fit is due, summarizes) the customers.
    orders = dbt.ref("int_orders_kept").project("customer_id, order_date, net_amount")
    # The fits kept by earlier builds (history.lifetime_value_models), none yet at first.
    kept = kept_table(session, "lifetime_value_models")
    models = session.sql(f"select * from {kept}").df() if kept else None
    new_rows = fit_if_due(models, orders, as_of_date, fit_config, policy)
    return with_new_rows(session, kept, new_rows, "fitted_lifetime_value_model_rows")
