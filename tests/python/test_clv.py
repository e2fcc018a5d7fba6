from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import scipy.optimize
from scipy.optimize import OptimizeResult, minimize
from scipy.special import gammaln, hyp2f1

from segwarehouse import clv
from segwarehouse.clv import (
    MODEL_COLUMNS,
    PREDICTION_COLUMNS,
    BgNbdParameters,
    ClvConfig,
    ClvConfigError,
    ClvFitConfig,
    ClvFitError,
    ClvModelError,
    ClvRefitPolicy,
    GammaGammaParameters,
    LifetimeValueModel,
    check_model,
    count_customers,
    customer_lifetime_value,
    expected_average_spend,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_if_due,
    fit_lifetime_value_model,
    model_from_row,
    model_to_frame,
    predict_customer_lifetime_values,
    probability_alive,
    score_customer_lifetime_values,
    score_with_stored_model,
    score_with_stored_model_in_batches,
    select_model,
    summarize_transactions,
    why_refit,
)
from segwarehouse.frames import table_from_frames

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


def test_customers_sharing_a_history_are_valued_as_each_one_alone():
    """customer_lifetime_value computes the series once per distinct (x, t_x, T): each
    customer still gets what scoring that customer alone gives, with its own spend."""
    rng = np.random.default_rng(3)
    picks = rng.integers(0, 4, 40)  # CUSTOMERS' histories, repeated in a shuffled order
    x, t_x, T = (CUSTOMERS[name][picks] for name in ("frequency", "recency", "T"))  # noqa: N806
    m = np.where(x > 0, rng.uniform(5, 80, 40), 0.0)
    together = customer_lifetime_value(PARAMETERS, SPEND, x, t_x, T, m, 12, 0.01, 7)
    alone = [
        customer_lifetime_value(PARAMETERS, SPEND, x[[i]], t_x[[i]], T[[i]], m[[i]], 12, 0.01, 7)[0]
        for i in range(40)
    ]
    assert together.tolist() == alone
    assert len(set(together.tolist())) > 4  # the spends tell customers of one history apart


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


def _central_differences(function, parameters: np.ndarray) -> np.ndarray:
    steps = 1e-6 * parameters
    return np.array(
        [
            (function(parameters + step) - function(parameters - step)) / (2 * step[i])
            for i, step in enumerate(np.diag(steps))
        ]
    )


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param((0.243, 4.414, 0.793, 2.426), id="cdnow"),
        pytest.param((0.76, 9.08, 0.073, 0.403), id="small-a-and-b"),
        pytest.param((2.0, 0.5, 5.0, 0.3), id="fast-buyers"),
    ],
)
def test_the_bgnbd_gradient_is_the_likelihood_s_derivative(simulated, parameters):
    """The fit follows the analytic gradient: it must be the derivative of the sum of the
    customers' log-likelihoods (central differences on the simulated shop)."""
    summary = summarize_transactions(
        simulated, "customer_id", "order_date", "net_amount", date(2024, 12, 29), 7
    )
    x, t_x, T = (summary[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))  # noqa: N806
    x_values, x_index = np.unique(x, return_inverse=True)

    def total(theta: np.ndarray) -> float:
        return float(clv.bgnbd_log_likelihood(*theta, x, t_x, T).sum())

    _, gradient = clv._bgnbd_log_likelihood_and_gradient(*parameters, x_values, x_index, x, t_x, T)
    assert gradient.sum(axis=1) == pytest.approx(
        _central_differences(total, np.array(parameters)), rel=1e-5, abs=1e-3
    )


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param((6.25, 3.74, 15.44), id="cdnow"),
        pytest.param((2.28, 1.74, 39.49), id="q-near-1"),
    ],
)
def test_the_gamma_gamma_gradient_is_the_likelihood_s_derivative(simulated, parameters):
    summary = summarize_transactions(
        simulated, "customer_id", "order_date", "net_amount", date(2024, 12, 29), 7
    )
    spenders = summary[(summary.frequency > 0) & (summary.monetary_value > 0)]
    x, m = spenders.frequency.to_numpy(dtype="float64"), spenders.monetary_value.to_numpy()

    def total(theta: np.ndarray) -> float:
        return float(clv.gamma_gamma_log_likelihood(*theta, x, m).sum())

    _, gradient = clv._gamma_gamma_log_likelihood_and_gradient(*parameters, x, m)
    assert gradient.sum(axis=1) == pytest.approx(
        _central_differences(total, np.array(parameters)), rel=1e-5, abs=1e-3
    )


def _shop_whose_customers_all_drop_out_alike(seed: int) -> tuple[np.ndarray, ...]:
    """(frequency, recency, T) of 500 customers, each buying a geometric number of times
    (mean 3.3) within 400 days: the same dropout chance for everyone, so the BG/NBD
    likelihood rises towards a and b without bound at a fixed ratio."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(1, 501):
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
        for _ in range(int(rng.geometric(0.3))):
            rows.append((customer, start + pd.Timedelta(days=int(rng.integers(0, 400))), 10.0))
    log = pd.DataFrame(rows, columns=["customer_id", "order_date", "net_amount"])
    summary = summarize_transactions(
        log, "customer_id", "order_date", "net_amount", date(2024, 11, 13), 7
    )
    return tuple(summary[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))


def _limit_log_likelihood(r, alpha, p, x, t_x, T):  # noqa: N803
    """BG/NBD's likelihood where a and b are infinite with a / (a + b) = p: every customer
    drops out with chance p after each purchase (B(a, b + x) / B(a, b) -> (1 - p)^x,
    B(a + 1, b + x - 1) / B(a, b) -> p (1 - p)^(x - 1)). Written apart from clv.py."""
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = x * np.log1p(-p) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        dropped = np.where(
            x > 0, np.log(p) + (x - 1) * np.log1p(-p) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    return common + np.logaddexp(alive, dropped)


@pytest.mark.parametrize("a_plus_b", [1e8, 1e10, 1e12])
def test_the_bgnbd_likelihood_keeps_its_digits_as_a_and_b_grow_without_bound(a_plus_b):
    """Differences of betaln lost the digits there: at a + b = 1e12 the total below was
    0.87 too high, a spurious maximum that fits chased."""
    x, t_x, T = _shop_whose_customers_all_drop_out_alike(54)  # noqa: N806
    r, alpha, p = 0.85, 13.4, 0.155
    total = clv.bgnbd_log_likelihood(r, alpha, p * a_plus_b, (1 - p) * a_plus_b, x, t_x, T).sum()
    limit = _limit_log_likelihood(r, alpha, p, x, t_x, T).sum()
    # The likelihood approaches the limit like x^2 / (a + b); x is at most 25 here.
    assert total == pytest.approx(limit, abs=len(x) * 25**2 / a_plus_b + 1e-9)


@pytest.mark.parametrize("seed", [4, 30, 54, 62, 80, 92])
def test_a_shop_whose_customers_all_drop_out_alike_gets_the_ridge_s_fit(seed):
    """The fit is as good as the best of the limit model (maximized apart, by Nelder-Mead
    over r, alpha and p). While the beta terms were differences of betaln, seeds 54 to 92 did
    not converge at all, and seeds 4 and 30 stopped early (a + b = 2,585 and 4,169), 0.044
    and 0.022 below."""
    x, t_x, T = _shop_whose_customers_all_drop_out_alike(seed)  # noqa: N806
    fitted = fit_bgnbd(x, t_x, T)
    assert fitted.a / (fitted.a + fitted.b) == pytest.approx(0.17, abs=0.05)
    reported = clv.bgnbd_log_likelihood(fitted.r, fitted.alpha, fitted.a, fitted.b, x, t_x, T)
    assert fitted.log_likelihood == pytest.approx(reported.sum(), abs=1e-6)

    def negative_limit(theta):
        r, alpha, p = np.exp(theta[0]), np.exp(theta[1]), 1 / (1 + np.exp(-theta[2]))
        return -_limit_log_likelihood(r, alpha, p, x, t_x, T).sum()

    best_limit = minimize(
        negative_limit,
        [0.0, np.log(10.0), 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 20_000},
    )
    assert best_limit.success
    # The likelihood approaches the limit from below like 1 / (a + b); the fit stops where
    # what is left is below its tolerance.
    assert fitted.log_likelihood == pytest.approx(-best_limit.fun, abs=1e-4)


def test_distinct_rows_and_their_counts_are_numpy_s():
    rng = np.random.default_rng(7)
    columns = [rng.integers(0, 4, 5_000).astype(float), rng.integers(0, 3, 5_000) / 7.0]
    columns.append(np.where(columns[0] > 1, columns[1], 2.5))
    (distinct, counts, inverse) = clv._unique_rows(*columns)
    expected, expected_inverse, expected_counts = np.unique(
        np.column_stack(columns), axis=0, return_inverse=True, return_counts=True
    )
    assert np.column_stack(distinct).tolist() == expected.tolist()
    assert counts.tolist() == expected_counts.tolist()
    assert inverse.tolist() == expected_inverse.ravel().tolist()
    assert [len(part) for part in clv._unique_rows(np.array([]), np.array([]))[1:]] == [0, 0]


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
        pytest.param([1.5, 0], [2.0, 0.0], [5.0, 3.0], "whole numbers", id="fractional-frequency"),
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

    monkeypatch.setattr(scipy.optimize, "minimize", never_converges)
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


# --- Stored fits: when a build fits anew, and what it scores with --------------------------

FIT_CONFIG = ClvFitConfig(time_unit_days=7.0, calibration_start_date=None)
POLICY = ClvRefitPolicy(refit_days=7, max_customer_change=0.05, requested=False)
FIT_DATE = date(2025, 12, 24)


def stored(**overrides) -> LifetimeValueModel:
    """A stored fit of 1,000 customers as of FIT_DATE with FIT_CONFIG."""
    values = {
        "model_version": "v1",
        "fitted_at": datetime(2025, 12, 25, 6, 0),
        "config_fingerprint": FIT_CONFIG.fingerprint,
        "refit_reason": "no_model",
        "as_of_date": FIT_DATE,
        "fit": FIT_CONFIG,
        "customer_count": 1000,
        "bgnbd": BgNbdParameters(
            r=0.5, alpha=10.0, a=0.8, b=2.5, log_likelihood=-900.0, n_customers=1000
        ),
        "gamma_gamma": GammaGammaParameters(
            p=5.0, q=3.0, gamma=20.0, log_likelihood=-400.0, n_customers=420
        ),
        "fit_message": None,
        **overrides,
    }
    return LifetimeValueModel(**values)


WHY_REFIT_CASES = [
    pytest.param(None, {}, "no_model", id="nothing-stored-for-the-date"),
    pytest.param(stored(), {}, None, id="same-settings-same-day-reused"),
    pytest.param(
        stored(config_fingerprint=ClvFitConfig(1.0, None).fingerprint),
        {},
        "config_changed",
        id="time-unit-changed",
    ),
    pytest.param(
        stored(config_fingerprint=ClvFitConfig(7.0, date(2024, 1, 1)).fingerprint),
        {},
        "config_changed",
        id="calibration-start-changed",
    ),
    pytest.param(
        stored(bgnbd=None, gamma_gamma=None, fit_message="BG/NBD and Gamma-Gamma not fitted"),
        {},
        "no_model",
        id="stored-run-fitted-nothing",
    ),
    pytest.param(
        stored(gamma_gamma=None, fit_message="Gamma-Gamma not fitted (no spend prediction)"),
        {},
        "no_model",
        id="stored-run-fitted-no-spend-model",
    ),
    pytest.param(stored(), {"policy": replace(POLICY, requested=True)}, "requested", id="asked"),
    pytest.param(stored(), {"as_of_date": FIT_DATE + timedelta(days=6)}, None, id="6-days-old"),
    pytest.param(
        stored(), {"as_of_date": FIT_DATE + timedelta(days=7)}, "scheduled", id="7-days-old"
    ),
    pytest.param(
        stored(), {"policy": replace(POLICY, refit_days=0)}, "scheduled", id="refit-days-0"
    ),
    pytest.param(stored(), {"customer_count": 1050}, None, id="5-percent-more-customers"),
    pytest.param(
        stored(), {"customer_count": 1051}, "population_changed", id="over-5-percent-more"
    ),
    pytest.param(
        stored(), {"customer_count": 949}, "population_changed", id="over-5-percent-fewer"
    ),
    pytest.param(
        stored(),
        {"customer_count": 1300, "policy": replace(POLICY, max_customer_change=0.5)},
        None,
        id="30-percent-more-under-a-50-percent-limit",
    ),
    # When several triggers hold, the first in this order names the fit.
    pytest.param(
        stored(config_fingerprint="other"),
        {"policy": replace(POLICY, requested=True), "customer_count": 5000},
        "config_changed",
        id="settings-before-request",
    ),
    pytest.param(
        stored(),
        {"as_of_date": FIT_DATE + timedelta(days=30), "customer_count": 5000},
        "scheduled",
        id="age-before-population",
    ),
]


@pytest.mark.parametrize(("model", "overrides", "expected"), WHY_REFIT_CASES)
def test_why_refit(model, overrides, expected):
    arguments = {
        "as_of_date": FIT_DATE,
        "customer_count": 1000,
        "fit_config": FIT_CONFIG,
        "policy": POLICY,
        **overrides,
    }
    assert why_refit(model, **arguments) == expected


def test_the_fit_fingerprint_covers_the_fit_settings_not_the_scoring_ones():
    base = settings().fit.fingerprint
    assert settings(horizon_months=24, monthly_discount_rate=0.05).fit.fingerprint == base
    assert settings(churn_probability_alive_threshold=0.2).fit.fingerprint == base
    assert settings(time_unit_days=1).fit.fingerprint != base
    assert settings(calibration_start_date="2024-01-01").fit.fingerprint != base
    assert settings().fit == FIT_CONFIG


VALID_POLICY = {"refit_days": 7, "max_customer_change": 0.05, "requested": False}


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        pytest.param({"refit_days": -1}, "refit_days", id="refit-days-negative"),
        pytest.param({"refit_days": 1.5}, "refit_days", id="refit-days-fraction"),
        pytest.param({"refit_days": None}, "refit_days", id="refit-days-missing"),
        pytest.param({"refit_days": True}, "refit_days", id="refit-days-bool"),
        pytest.param({"max_customer_change": 0}, "max_customer_change", id="change-zero"),
        pytest.param({"max_customer_change": 1.5}, "max_customer_change", id="change-above-1"),
        pytest.param({"max_customer_change": "5%"}, "max_customer_change", id="change-text"),
        pytest.param({"max_customer_change": None}, "max_customer_change", id="change-missing"),
        pytest.param({"requested": "maybe"}, "refit", id="refit-not-a-flag"),
        pytest.param({"requested": None}, "refit", id="refit-missing"),
    ],
)
def test_invalid_refit_settings_raise_naming_the_setting(overrides, setting):
    with pytest.raises(ClvConfigError, match=f"'{setting}'"):
        ClvRefitPolicy.from_settings(**{**VALID_POLICY, **overrides})


def test_refit_settings_as_dbt_passes_them():
    policy = ClvRefitPolicy.from_settings(refit_days=0, max_customer_change=1, requested="True")
    assert policy == ClvRefitPolicy(refit_days=0, max_customer_change=1.0, requested=True)
    assert not ClvRefitPolicy.from_settings(**{**VALID_POLICY, "requested": "False"}).requested


def stored_frame(*models: LifetimeValueModel) -> pd.DataFrame:
    return pd.concat([model_to_frame(model) for model in models], ignore_index=True)


def test_select_model_takes_the_latest_fit_on_data_up_to_the_date():
    december = stored(model_version="dec", as_of_date=date(2025, 12, 31))
    november = stored(model_version="nov", as_of_date=date(2025, 11, 30))
    refitted = stored(
        model_version="dec-again",
        as_of_date=date(2025, 12, 31),
        fitted_at=datetime(2026, 1, 2),
        refit_reason="requested",
    )
    # Stored in the order a backfill leaves them: the later date fitted first.
    models = stored_frame(december, november, refitted)
    assert select_model(models, date(2025, 12, 31)).model_version == "dec-again"
    assert select_model(models, date(2026, 1, 5)).model_version == "dec-again"
    # A backfill never gets a fit that has seen orders after its date.
    assert select_model(models, date(2025, 12, 30)).model_version == "nov"
    assert select_model(models, date(2025, 11, 30)).model_version == "nov"
    assert select_model(models, date(2025, 11, 29)) is None
    assert select_model(None, date(2025, 12, 31)) is None


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(stored(), id="fitted"),
        pytest.param(
            stored(
                fit=ClvFitConfig(1.0, date(2024, 1, 1)),
                config_fingerprint=ClvFitConfig(1.0, date(2024, 1, 1)).fingerprint,
            ),
            id="other-settings",
        ),
        pytest.param(stored(gamma_gamma=None, fit_message="Gamma-Gamma not"), id="no-spend"),
        pytest.param(stored(bgnbd=None, gamma_gamma=None, fit_message="nothing"), id="unfitted"),
    ],
)
def test_a_fit_round_trips_through_a_duckdb_table(model):
    with duckdb.connect() as connection:
        frame = model_to_frame(model)
        assert list(frame.columns) == list(MODEL_COLUMNS)
        stored_rows = connection.sql("select * from frame").df()
    assert model_from_row(stored_rows.iloc[0]) == model


@pytest.fixture(scope="module")
def december_log(simulated) -> pd.DataFrame:
    """The simulated log to 2024-12-29, and one day's orders after it."""
    late = transactions([(1, "2024-12-30", 30.0), (2, "2024-12-30", 15.0)])
    return pd.concat([simulated.astype({"order_date": "datetime64[us]"}), late])


def test_the_first_build_fits_and_a_build_a_day_later_scores_with_the_stored_fit(
    december_log, monkeypatch
):
    first_day, next_day = date(2024, 12, 29), date(2024, 12, 30)
    config = settings()
    policy = ClvRefitPolicy(refit_days=7, max_customer_change=0.05, requested=False)
    first = fit_if_due(None, december_log, first_day, config.fit, policy)
    assert len(first) == 1
    assert first.iloc[0]["refit_reason"] == "no_model"
    assert first.iloc[0]["customer_count"] == december_log["customer_id"].nunique()
    # What a build that fits publishes: exactly what fitting and scoring in one call gives.
    fitted = model_from_row(first.iloc[0])
    direct = predict_customer_lifetime_values(december_log, first_day, config)
    scored = score_with_stored_model(december_log, first_day, config, first)
    pd.testing.assert_frame_equal(
        scored.drop(columns="_model_version"),
        direct.drop(columns="_model_version"),
        check_exact=True,
    )

    # The next day: due for nothing, so no fit (neither summary nor optimizer is touched).
    def must_not_run(*_, **__):
        raise AssertionError("fitted although not due")

    monkeypatch.setattr(clv, "summarize_transactions", must_not_run)
    assert fit_if_due(first, december_log, next_day, config.fit, policy).empty
    monkeypatch.undo()
    reused = score_with_stored_model(december_log, next_day, config, first)
    assert (reused["_model_version"] == fitted.model_version).all()
    assert (reused["model_as_of_date"] == pd.Timestamp(first_day)).all()
    assert (reused["bgnbd_r"] == fitted.bgnbd.r).all()
    # Each customer's history is that of the scoring date, with the stored parameters.
    summary = summarize_transactions(
        december_log, "customer_id", "order_date", "net_amount", next_day, 7
    )
    expected = score_customer_lifetime_values(summary, next_day, config, fitted)
    pd.testing.assert_frame_equal(reused, expected, check_exact=True)
    assert (reused["as_of_date"] == pd.Timestamp(next_day)).all()
    assert (reused["days_since_first_purchase"] >= direct["days_since_first_purchase"] + 1).all()
    # A horizon change is applied without a refit.
    longer = score_with_stored_model(december_log, next_day, settings(horizon_months=24), first)
    assert (longer["predicted_clv"] > reused["predicted_clv"]).all()


@pytest.mark.parametrize("batch_rows", [1, 7, 10_000])
def test_scoring_in_batches_stores_what_one_frame_stores(december_log, batch_rows):
    """The warehouse stores the scores a batch at a time (table_from_frames): the same rows,
    values and DuckDB types as one frame of every customer, fitted or not."""
    day = date(2024, 12, 29)
    config = settings()
    fitted = fit_if_due(None, december_log, day, config.fit, POLICY)
    one_customer = transactions([(1, "2024-01-05", 10.0), (2, "2024-02-01", 20.0)])
    unfitted = model_to_frame(
        fit_lifetime_value_model(
            summarize_transactions(one_customer, "customer_id", "order_date", "net_amount", day),
            day,
            FIT_CONFIG,
            "no_model",
            datetime(2024, 12, 30),
        )
    )
    # One-row batches over the first 50 customers only: thousands of them cost a minute and
    # check nothing more than fifty do.
    scored_log = (
        december_log[december_log["customer_id"] <= 50] if batch_rows == 1 else december_log
    )
    for log, models in [(scored_log, fitted), (one_customer, unfitted)]:
        whole = score_with_stored_model(log, day, config, models)
        batches = list(score_with_stored_model_in_batches(log, day, config, models, batch_rows))
        assert len(batches) == -(-len(whole) // batch_rows)
        with duckdb.connect() as connection:
            expected = connection.sql("select * from whole")
            stored = table_from_frames(connection, "scores", batches)
            assert stored.columns == expected.columns
            assert stored.types == expected.types
            assert stored.fetchall() == expected.fetchall()
    # An empty window still gives one (empty) frame, so that the table has its columns.
    empty = list(
        score_with_stored_model_in_batches(december_log.head(0), day, config, fitted, batch_rows)
    )
    assert [len(frame) for frame in empty] == [0]
    assert list(empty[0].columns) == list(whole.columns)


def test_table_from_frames_needs_a_frame():
    with duckdb.connect() as connection, pytest.raises(ValueError, match="no frame given"):
        table_from_frames(connection, "scores", [])


def test_fit_if_due_refits_on_request_and_for_a_backfill(december_log):
    config = settings().fit
    first = fit_if_due(None, december_log, date(2024, 12, 29), config, POLICY)
    requested = fit_if_due(
        first, december_log, date(2024, 12, 29), config, replace(POLICY, requested=True)
    )
    assert requested.iloc[0]["refit_reason"] == "requested"
    # The same data gives the same parameters: a refit changes the version, not the values.
    parameters = ["bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b", "gamma_gamma_p"]
    assert requested[parameters].to_numpy().tolist() == first[parameters].to_numpy().tolist()
    assert requested.iloc[0]["_model_version"] != first.iloc[0]["_model_version"]
    backfill = fit_if_due(first, december_log, date(2024, 10, 31), config, POLICY)
    assert backfill.iloc[0]["refit_reason"] == "no_model"
    assert backfill.iloc[0]["as_of_date"] == pd.Timestamp("2024-10-31")
    assert backfill.iloc[0]["customer_count"] == count_customers(
        december_log, "customer_id", "order_date", date(2024, 10, 31)
    )
    changed = fit_if_due(first, december_log, date(2024, 12, 29), ClvFitConfig(1.0, None), POLICY)
    assert changed.iloc[0]["refit_reason"] == "config_changed"


def test_a_stored_fit_is_never_used_with_other_settings_or_for_an_earlier_date(december_log):
    first = fit_if_due(None, december_log, date(2024, 12, 29), settings().fit, POLICY)
    with pytest.raises(
        ClvModelError, match=r"fitted with time_unit_days 7 .* not with this build's 1"
    ):
        score_with_stored_model(december_log, date(2024, 12, 29), settings(time_unit_days=1), first)
    with pytest.raises(ClvModelError, match="calibration_start_date None"):
        score_with_stored_model(
            december_log,
            date(2024, 12, 29),
            settings(calibration_start_date="2024-06-01"),
            first,
        )
    with pytest.raises(ClvModelError, match="no customer lifetime value fit is stored"):
        score_with_stored_model(december_log, date(2024, 12, 1), settings(), first)
    with pytest.raises(ClvModelError, match="after this build's as-of date 2024-12-01"):
        check_model(model_from_row(first.iloc[0]), date(2024, 12, 1), settings().fit)


def test_a_stored_run_that_could_not_fit_scores_nulls_and_says_why():
    """One purchase per customer: the fit stores its reason, scoring repeats it."""
    log = transactions([(1, "2024-01-05", 10.0), (2, "2024-02-01", 20.0)])
    fit = fit_lifetime_value_model(
        summarize_transactions(log, "customer_id", "order_date", "net_amount", date(2024, 6, 30)),
        date(2024, 6, 30),
        FIT_CONFIG,
        "no_model",
        datetime(2024, 7, 1),
    )
    assert fit.bgnbd is None and not fit.is_fitted
    assert fit.fit_message.startswith("BG/NBD and Gamma-Gamma not fitted")
    scored = score_with_stored_model(log, date(2024, 6, 30), settings(), model_to_frame(fit))
    assert scored["predicted_clv"].isna().all()
    assert (scored["model_fit_message"] == fit.fit_message).all()
    assert (scored["_model_version"] == fit.model_version).all()
