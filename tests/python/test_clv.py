from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import OptimizeResult
from scipy.special import hyp2f1

from segwarehouse import clv
from segwarehouse.clv import (
    PREDICTION_COLUMNS,
    BgNbdParameters,
    ClvConfig,
    ClvConfigError,
    ClvFitError,
    GammaGammaParameters,
    customer_lifetime_value,
    expected_average_spend,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_customer_lifetime_values,
    probability_alive,
    summarize_transactions,
)

CDNOW_SAMPLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "datasets"
    / "cdnow"
    / "CDNOW_sample.txt"
)
CDNOW_CALIBRATION_END = date(1997, 9, 30)  # end of week 39

# Fader, Hardie & Lee (2005), as listed in shared/datasets/cdnow/SOURCE.md.
CDNOW_BGNBD = BgNbdParameters(
    r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4, n_customers=2357
)
CDNOW_GAMMA_GAMMA = GammaGammaParameters(
    p=6.25, q=3.74, gamma=15.44, log_likelihood=float("nan"), n_customers=946
)

VALID_SETTINGS = {
    "horizon_months": 12,
    "monthly_discount_rate": 0.01,
    "churn_probability_alive_threshold": 0.5,
    "time_unit_days": 7,
    "calibration_start_date": None,
}


def settings(**overrides) -> ClvConfig:
    return ClvConfig.from_settings(**{**VALID_SETTINGS, **overrides})


# --- Config --------------------------------------------------------------------------------


def test_valid_settings_become_a_config():
    config = settings(calibration_start_date="2024-01-01", time_unit_days=1)
    assert config.horizon_months == 12
    assert config.monthly_discount_rate == 0.01
    assert config.time_unit_days == 1.0
    assert config.calibration_start_date == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        pytest.param({"horizon_months": 0}, "horizon_months", id="horizon-zero"),
        pytest.param({"horizon_months": 12.0}, "horizon_months", id="horizon-not-integer"),
        pytest.param({"horizon_months": None}, "horizon_months", id="horizon-missing"),
        pytest.param({"horizon_months": True}, "horizon_months", id="horizon-bool"),
        pytest.param({"monthly_discount_rate": -0.01}, "monthly_discount_rate", id="rate-neg"),
        pytest.param({"monthly_discount_rate": 1}, "monthly_discount_rate", id="rate-one"),
        pytest.param({"monthly_discount_rate": "1%"}, "monthly_discount_rate", id="rate-text"),
        pytest.param(
            {"churn_probability_alive_threshold": 1.5},
            "churn_probability_alive_threshold",
            id="threshold-above-one",
        ),
        pytest.param(
            {"churn_probability_alive_threshold": None},
            "churn_probability_alive_threshold",
            id="threshold-missing",
        ),
        pytest.param({"time_unit_days": 0}, "time_unit_days", id="time-unit-zero"),
        pytest.param({"time_unit_days": float("nan")}, "time_unit_days", id="time-unit-nan"),
        pytest.param(
            {"calibration_start_date": "last year"},
            "calibration_start_date",
            id="start-not-a-date",
        ),
        pytest.param(
            {"calibration_start_date": 20240101}, "calibration_start_date", id="start-number"
        ),
    ],
)
def test_invalid_settings_raise_naming_the_setting(overrides, setting):
    with pytest.raises(ClvConfigError, match=f"'{setting}'"):
        settings(**overrides)


# --- Summary -------------------------------------------------------------------------------


def transactions(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "net_amount"]).astype(
        {"order_date": "datetime64[us]"}
    )


SUMMARY_CASES = [
    pytest.param(
        [(1, "2024-01-01", 10.0)],
        (0, 0.0, 4.0, 0.0),
        id="one-purchase",
    ),
    pytest.param(
        [(1, "2024-01-01", 10.0), (1, "2024-01-01", 5.0)],
        (0, 0.0, 4.0, 0.0),
        id="same-day-transactions-are-one-purchase",
    ),
    pytest.param(
        [(1, "2024-01-01", 10.0), (1, "2024-01-08", 20.0), (1, "2024-01-08", 4.0)],
        (1, 1.0, 4.0, 24.0),
        id="repeat-day-amounts-summed",
    ),
    pytest.param(
        [(1, "2024-01-01", 100.0), (1, "2024-01-15", 20.0), (1, "2024-01-22", 40.0)],
        (2, 3.0, 4.0, 30.0),
        id="monetary-leaves-out-the-first-purchase",
    ),
    pytest.param(
        [(1, "2024-01-01", 10.0), (1, "2024-01-08", 0.0)],
        (1, 1.0, 4.0, 0.0),
        id="zero-spend-day-is-a-purchase-day",
    ),
    pytest.param(
        [(1, "2024-01-01", 10.0), (1, "2024-01-08", 30.0), (1, "2024-01-08", -50.0)],
        (1, 1.0, 4.0, -20.0),
        id="refund-nets-into-its-day",
    ),
    pytest.param(
        [(1, "2024-01-01", 10.0), (1, "2024-01-08", 30.0), (1, "2024-02-01", 99.0)],
        (1, 1.0, 4.0, 30.0),
        id="after-calibration-end-ignored",
    ),
    pytest.param(
        [(1, "2024-01-29", 10.0)],
        (0, 0.0, 0.0, 0.0),
        id="first-purchase-on-the-end-date",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), SUMMARY_CASES)
def test_summary_of_one_customer(rows, expected):
    summary = summarize_transactions(
        transactions(rows), "customer_id", "order_date", "net_amount", date(2024, 1, 29), 7
    )
    assert len(summary) == 1
    row = summary.iloc[0]
    assert (row.frequency, row.recency, row["T"], row.monetary_value) == pytest.approx(expected)


def test_summary_time_unit_and_calibration_start():
    rows = [(1, "2024-01-01", 10.0), (1, "2024-01-11", 20.0), (2, "2023-12-01", 5.0)]
    summary = summarize_transactions(
        transactions(rows),
        "customer_id",
        "order_date",
        "net_amount",
        date(2024, 1, 31),
        time_unit_days=1,
        calibration_start=date(2024, 1, 1),
    )
    assert summary["customer_id"].tolist() == [1]
    assert summary.iloc[0][["frequency", "recency", "T"]].tolist() == [1, 10.0, 30.0]


# --- CDNOW: the published estimates --------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    if not CDNOW_SAMPLE.exists():
        pytest.skip(f"CDNOW sample not found at {CDNOW_SAMPLE} (shared/ beside the repository)")
    log = pd.read_csv(
        CDNOW_SAMPLE,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str},
    )
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    return summarize_transactions(log, "customer_id", "date", "amount", CDNOW_CALIBRATION_END, 7)


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow_summary) -> BgNbdParameters:
    return fit_bgnbd(cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary["T"])


def test_cdnow_summary_counts(cdnow_summary):
    assert len(cdnow_summary) == 2357
    assert (cdnow_summary.frequency > 0).sum() == 946


@pytest.mark.parametrize("parameter", ["r", "alpha", "a", "b"])
def test_cdnow_bgnbd_matches_the_published_estimates(cdnow_bgnbd, parameter):
    assert getattr(cdnow_bgnbd, parameter) == pytest.approx(
        getattr(CDNOW_BGNBD, parameter), abs=0.01
    )


def test_cdnow_bgnbd_log_likelihood(cdnow_bgnbd):
    assert cdnow_bgnbd.log_likelihood == pytest.approx(CDNOW_BGNBD.log_likelihood, abs=0.1)


def test_cdnow_conditional_expectation_of_the_paper(cdnow_bgnbd):
    # FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 weeks is expected to make 1.226
    # purchases in the next 39 weeks.
    assert expected_purchases(cdnow_bgnbd, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=1e-3)


@pytest.mark.parametrize("parameter", ["p", "q", "gamma"])
def test_cdnow_gamma_gamma_matches_the_published_estimates(cdnow_summary, parameter):
    fitted = fit_gamma_gamma(cdnow_summary.frequency, cdnow_summary.monetary_value)
    assert fitted.n_customers == CDNOW_GAMMA_GAMMA.n_customers
    assert getattr(fitted, parameter) == pytest.approx(
        getattr(CDNOW_GAMMA_GAMMA, parameter), abs=0.01
    )


# --- Formulas ------------------------------------------------------------------------------

PARAMETERS = BgNbdParameters(
    r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n_customers=0
)
SPEND = GammaGammaParameters(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, n_customers=0)


def direct_expected_purchases(params, t, x, t_x, T):  # noqa: N803
    """FHL 2005 equation 10 as printed, without the Euler transformation."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    tail = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return head * tail / (1 + odds)


@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [
        pytest.param(0, 0.0, 38.0, 39.0, id="no-repeat"),
        pytest.param(2, 30.43, 38.86, 39.0, id="paper-customer"),
        pytest.param(10, 30.0, 38.0, 5.0, id="frequent-short-horizon"),
        pytest.param(25, 37.0, 38.0, 52.0, id="very-frequent"),
        pytest.param(1, 1.0, 1.0, 0.5, id="new-customer"),
    ],
)
def test_expected_purchases_agree_with_the_printed_formula(x, t_x, T, t):  # noqa: N803
    assert expected_purchases(PARAMETERS, t, x, t_x, T) == pytest.approx(
        direct_expected_purchases(PARAMETERS, t, x, t_x, T), rel=1e-9
    )


def test_expected_purchases_increase_with_t_from_zero():
    horizons = np.array([0.0, 1.0, 4.0, 13.0, 52.0, 520.0])
    for x, t_x, age in [(0, 0.0, 30.0), (3, 20.0, 30.0), (12, 29.0, 30.0)]:
        values = expected_purchases(PARAMETERS, horizons, x, t_x, age)
        assert values[0] == 0.0
        assert np.all(np.diff(values) > 0)


@pytest.mark.parametrize(
    ("x", "t_x", "T", "expected"),
    [
        # BG/NBD lets a customer drop out only after a repeat purchase.
        pytest.param(0, 0.0, 38.86, 1.0, id="no-repeat-is-alive"),
        pytest.param(0, 0.0, 0.0, 1.0, id="bought-today-is-alive"),
        # 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
        pytest.param(
            2,
            30.43,
            38.86,
            1 / (1 + 0.793 / (2.426 + 1) * ((4.414 + 38.86) / (4.414 + 30.43)) ** 2.243),
            id="hand-computed",
        ),
        pytest.param(1, 10.0, 10.0, 1 / (1 + 0.793 / 2.426), id="purchase-at-the-end-date"),
    ],
)
def test_probability_alive(x, t_x, T, expected):  # noqa: N803
    assert probability_alive(PARAMETERS, x, t_x, T) == pytest.approx(expected, rel=1e-12)


def test_probability_alive_falls_with_silence_and_stays_in_zero_one():
    silence = np.array([0.0, 5.0, 20.0, 100.0, 1000.0])
    alive = probability_alive(PARAMETERS, 5, 20.0, 20.0 + silence)
    assert np.all(np.diff(alive) < 0)
    assert np.all((alive > 0) & (alive <= 1))


@pytest.mark.parametrize(
    ("x", "m", "expected"),
    [
        pytest.param(0, 0.0, 6.25 * 15.44 / 2.74, id="no-repeat-population-mean"),
        pytest.param(3, 0.0, 6.25 * 15.44 / 2.74, id="zero-spend-population-mean"),
        pytest.param(3, -12.0, 6.25 * 15.44 / 2.74, id="net-refund-population-mean"),
        pytest.param(3, 40.0, 6.25 * (15.44 + 3 * 40.0) / (6.25 * 3 + 3.74 - 1), id="repeat"),
    ],
)
def test_expected_average_spend(x, m, expected):
    assert expected_average_spend(SPEND, x, m) == pytest.approx(expected, rel=1e-12)


def test_expected_spend_moves_towards_own_average_with_more_purchases():
    spend = expected_average_spend(SPEND, np.array([1, 5, 50, 500]), np.full(4, 80.0))
    assert np.all(np.diff(spend) > 0)
    assert spend[-1] == pytest.approx(80.0, rel=0.01)


CUSTOMERS = {
    "frequency": np.array([0, 2, 10, 1]),
    "recency": np.array([0.0, 30.43, 35.0, 2.0]),
    "T": np.array([38.86, 38.86, 38.0, 38.0]),
    "monetary_value": np.array([0.0, 25.0, 60.0, 0.0]),
}


def lifetime_value(horizon_months=12, monthly_discount_rate=0.01):
    return customer_lifetime_value(
        PARAMETERS,
        SPEND,
        **CUSTOMERS,
        horizon_months=horizon_months,
        monthly_discount_rate=monthly_discount_rate,
        time_unit_days=7,
    )


def test_clv_without_discount_is_expected_purchases_times_spend():
    weeks = 12 * 365.25 / 12 / 7
    expected = expected_purchases(
        PARAMETERS, weeks, CUSTOMERS["frequency"], CUSTOMERS["recency"], CUSTOMERS["T"]
    ) * expected_average_spend(SPEND, CUSTOMERS["frequency"], CUSTOMERS["monetary_value"])
    assert lifetime_value(monthly_discount_rate=0.0) == pytest.approx(expected, rel=1e-9)


def test_clv_falls_with_a_higher_discount_rate_and_grows_with_the_horizon():
    low, high = (
        lifetime_value(monthly_discount_rate=0.0),
        lifetime_value(monthly_discount_rate=0.05),
    )
    assert np.all(high < low)
    assert np.all(lifetime_value(horizon_months=24) > lifetime_value(horizon_months=12))
    assert np.all(lifetime_value() > 0)


# --- Robustness ----------------------------------------------------------------------------


def simulated_transactions(
    n_customers: int = 3000,
    seed: int = 7,
    bgnbd: tuple[float, float, float, float] = (0.5, 10.0, 0.8, 2.5),
    spend: tuple[float, float, float] = (5.0, 3.0, 20.0),
) -> pd.DataFrame:
    """Daily transactions drawn from BG/NBD (time in weeks) with Gamma-Gamma spend."""
    r, alpha, a, b = bgnbd
    p, q, gamma = spend
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for customer in range(1, n_customers + 1):
        rate = rng.gamma(r, 1 / alpha)
        dropout = rng.beta(a, b)
        scale = 1 / rng.gamma(q, 1 / gamma)  # the customer's mean spend is p * scale
        week = rng.uniform(0, 12)  # first purchase in the first 12 weeks
        repeats = 0
        while week < 52:
            rows.append((customer, start + pd.Timedelta(days=int(week * 7)), rng.gamma(p, scale)))
            # Dropout can follow a repeat purchase, not the first one.
            if repeats > 0 and rng.uniform() < dropout:
                break
            repeats += 1
            week += rng.exponential(1 / rate)
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "net_amount"])


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return simulated_transactions()


def test_fits_recover_simulated_parameters(simulated):
    summary = summarize_transactions(
        simulated, "customer_id", "order_date", "net_amount", date(2024, 12, 29), 7
    )
    bgnbd = fit_bgnbd(summary.frequency, summary.recency, summary["T"])
    spend = fit_gamma_gamma(summary.frequency, summary.monetary_value)
    # Same-day purchases merge and days are whole, so the recovery is close, not exact.
    assert (bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b) == pytest.approx((0.5, 10.0, 0.8, 2.5), rel=0.3)
    assert spend.p * spend.gamma / (spend.q - 1) == pytest.approx(5.0 * 20.0 / 2.0, rel=0.1)


def test_zero_repeat_zero_spend_and_refund_customers_do_not_break_the_fit(simulated):
    extra = transactions(
        [
            (90001, "2024-03-01", 25.0),  # never came back
            (90002, "2024-03-01", 0.0),  # free orders only
            (90002, "2024-04-01", 0.0),
            (90003, "2024-03-01", 40.0),  # repeat purchase refunded
            (90003, "2024-05-01", 30.0),
            (90003, "2024-05-01", -30.0),
            (90004, "2024-03-01", 40.0),  # net negative repeat day
            (90004, "2024-06-01", -15.0),
        ]
    )
    frame = pd.concat([simulated.astype({"order_date": "datetime64[us]"}), extra])
    predicted = predict_customer_lifetime_values(frame, date(2024, 12, 29), settings())
    odd = predicted.set_index("customer_id").loc[[90001, 90002, 90003, 90004]]
    population_mean = (
        predicted["gamma_gamma_p"].iloc[0]
        * predicted["gamma_gamma_v"].iloc[0]
        / (predicted["gamma_gamma_q"].iloc[0] - 1)
    )
    assert odd["expected_average_spend"].to_numpy() == pytest.approx(np.full(4, population_mean))
    assert odd["probability_alive"].iloc[0] == 1.0
    assert np.isfinite(predicted.select_dtypes("number").to_numpy(dtype="float64")).all()
    assert (predicted["predicted_clv"] >= 0).all()


def test_prediction_frame(simulated):
    config = settings()
    predicted = predict_customer_lifetime_values(simulated, date(2024, 12, 29), config)
    assert list(predicted.columns) == list(PREDICTION_COLUMNS)
    assert predicted["customer_id"].is_unique
    assert predicted["customer_id"].is_monotonic_increasing
    assert set(predicted["customer_id"]) == set(simulated["customer_id"])
    assert (predicted["is_likely_churned"] == (predicted["probability_alive"] < 0.5)).all()
    assert predicted["probability_alive"].between(0, 1).all()
    assert (predicted["expected_purchases"] > 0).all()
    assert (
        predicted["days_first_to_last_purchase"] <= predicted["days_since_first_purchase"]
    ).all()
    assert predicted[["bgnbd_r", "gamma_gamma_p"]].nunique().tolist() == [1, 1]


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        pytest.param([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 3.0, 1.0], "repeat purchase", id="none"),
        pytest.param([], [], [], "no customers", id="empty"),
        pytest.param([1, 0], [6.0, 0.0], [5.0, 3.0], "recency <= T", id="recency-after-T"),
    ],
)
def test_bgnbd_fit_errors(frequency, recency, T, message):  # noqa: N803
    with pytest.raises(ClvFitError, match=message):
        fit_bgnbd(np.array(frequency), np.array(recency), np.array(T))


def test_gamma_gamma_needs_customers_with_positive_repeat_spend():
    with pytest.raises(ClvFitError, match="found 2"):
        fit_gamma_gamma(np.array([0, 3, 2, 4, 1]), np.array([0.0, 10.0, 0.0, -5.0, 7.0]))


def test_a_fit_that_does_not_converge_raises(monkeypatch, simulated):
    def never_converges(function, start, **_):
        return OptimizeResult(x=start, fun=function(start), success=False, nit=3, message="stuck")

    monkeypatch.setattr(clv, "minimize", never_converges)
    summary = summarize_transactions(
        simulated, "customer_id", "order_date", "net_amount", date(2024, 12, 29), 7
    )
    with pytest.raises(ClvFitError, match=r"BG/NBD fit did not converge.*stuck"):
        fit_bgnbd(summary.frequency, summary.recency, summary["T"])


def test_without_repeat_buyers_the_predictions_are_null_and_say_why():
    """One purchase per customer: BG/NBD cannot estimate dropout; nothing fails."""
    transactions = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "order_date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"]),
            "net_amount": [10.0, 20.0, 30.0],
        }
    )
    predicted = predict_customer_lifetime_values(transactions, date(2024, 6, 30), settings())
    assert predicted["customer_id"].tolist() == [1, 2, 3]
    assert predicted["repeat_purchase_count"].tolist() == [0, 0, 0]
    assert predicted["probability_alive"].isna().all()
    assert predicted["predicted_clv"].isna().all()
    assert predicted["model_fit_message"].str.contains("repeat purchase").all()


def test_too_few_repeat_spenders_leave_only_spend_null():
    """BG/NBD fits; Gamma-Gamma needs 3 repeat spenders: probability and purchases stay."""
    transactions = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 4],
            "order_date": pd.to_datetime(
                ["2024-01-05", "2024-02-05", "2024-04-01", "2024-02-01", "2024-03-01", "2024-03-02"]
            ),
            "net_amount": [10.0, 12.0, 9.0, 20.0, 30.0, 5.0],
        }
    )
    predicted = predict_customer_lifetime_values(transactions, date(2024, 6, 30), settings())
    assert predicted["probability_alive"].notna().all()
    assert predicted["expected_purchases"].notna().all()
    assert predicted["predicted_clv"].isna().all()
    assert predicted["expected_average_spend"].isna().all()
    assert predicted["model_fit_message"].str.startswith("Gamma-Gamma not fitted").all()


def test_no_transactions_give_no_rows():
    empty = pd.DataFrame(
        {
            "customer_id": pd.Series(dtype="int64"),
            "order_date": pd.Series(dtype="datetime64[us]"),
            "net_amount": pd.Series(dtype="float64"),
        }
    )
    predicted = predict_customer_lifetime_values(empty, date(2024, 6, 30), settings())
    assert predicted.empty
    assert list(predicted.columns) == list(PREDICTION_COLUMNS)


def test_expected_purchases_stay_finite_with_a_concentrated_dropout_rate():
    """Large a and b (fitted on a short log) overflow the transformed hypergeometric form
    (0 x inf); the untransformed form, the same function, takes over."""
    from scipy.special import hyp2f1

    params = BgNbdParameters(
        r=0.952, alpha=14.95, a=592.86, b=2978.7, log_likelihood=0.0, n_customers=500
    )
    x, t_x, T, t = np.array([0.0, 3.0]), np.array([0.0, 3.0]), np.array([5.0, 50.0]), 52.18  # noqa: N806
    got = expected_purchases(params, t, x, t_x, T)
    assert np.isfinite(got).all()
    z = t / (params.alpha + T + t)
    direct = ((params.alpha + T) / (params.alpha + T + t)) ** (params.r + x) * hyp2f1(
        params.r + x, params.b + x, params.a + params.b + x - 1, z
    )
    expected = (params.a + params.b + x - 1) / (params.a - 1) * (1 - direct)
    assert got[0] == pytest.approx(expected[0], rel=1e-9)


def test_the_summary_does_not_depend_on_the_order_of_the_rows():
    """Spend is summed exactly: a double sum's last bits follow the order DuckDB's threads
    add rows in, and the Gamma-Gamma fit, flat near its optimum, amplified them into CLVs
    that differed from build to build on the same data."""
    rng = np.random.default_rng(3)
    n = 200_000
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(1, 50, n),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
            "amount": rng.gamma(2, 30, n).round(2),
        }
    )
    summaries = [
        summarize_transactions(
            log.sample(frac=1, random_state=seed),
            "customer_id",
            "date",
            "amount",
            date(2024, 12, 31),
        )
        for seed in range(4)
    ]
    for summary in summaries[1:]:
        pd.testing.assert_frame_equal(summary, summaries[0], check_exact=True)
