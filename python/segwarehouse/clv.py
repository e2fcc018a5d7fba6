"""Customer lifetime value: BG/NBD purchase counts x Gamma-Gamma spend, discounted by month.

summarize -> fit BG/NBD -> fit Gamma-Gamma -> predict. Every step is a pure function; the fits
are maximum likelihood with scipy on log-parameters, so no parameter can leave (0, inf).

- BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): while alive, a
  customer buys as a Poisson process with a gamma(r, alpha) distributed rate, and after each
  repeat purchase drops out with a beta(a, b) distributed probability.
- Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): the spend of each repeat transaction
  is gamma(p, nu) with nu gamma(q, gamma) across customers, independent of the purchase
  process.

Conventions (those of the papers, so the CDNOW estimates are reproduced):
- Transactions of one customer on the same date are one purchase; their amounts are summed.
- A purchase day is a date with at least one transaction row, whatever its amount: pass only
  the transactions that count (in the warehouse: kept orders). Amounts may be zero or
  negative (refunds netted into the day).
- frequency is the number of repeat purchase days (all but the first), recency the time from
  the first to the last purchase day, T the time from the first purchase day to the end of
  the calibration period, all in units of `time_unit_days` days (7 = weeks).
- monetary_value is the mean amount per repeat purchase day; the first purchase is left out
  (it is what made the customer a customer, and often differs). 0 without repeat purchases.
- The Gamma-Gamma model is fitted on customers with frequency > 0 and monetary_value > 0; for
  everyone else the expected spend is the population mean p * gamma / (q - 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

DAYS_PER_MONTH = 365.25 / 12
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


class ClvConfigError(ValueError):
    """A CLV setting is missing or invalid; the message names it and what is allowed."""


class ClvFitError(RuntimeError):
    """A model could not be fitted: too little data, or the optimizer did not converge."""


@dataclass(frozen=True)
class ClvConfig:
    horizon_months: int
    monthly_discount_rate: float
    # Customers whose probability of being alive is below this count as likely churned.
    churn_probability_alive_threshold: float
    # Length of the models' time unit in days (7 = weeks); the fitted alpha is in this unit.
    time_unit_days: float
    # First date of the calibration window; None means all history up to the as-of date.
    calibration_start_date: date | None

    @classmethod
    def from_settings(
        cls,
        *,
        horizon_months: Any,
        monthly_discount_rate: Any,
        churn_probability_alive_threshold: Any,
        time_unit_days: Any,
        calibration_start_date: Any,
    ) -> ClvConfig:
        """Validate settings as read from dbt model config; raise naming the bad setting."""
        if (
            isinstance(horizon_months, bool)
            or not isinstance(horizon_months, int)
            or horizon_months < 1
        ):
            raise ClvConfigError(
                f"config 'horizon_months' must be an integer >= 1, got {horizon_months!r}"
            )
        discount = _number("monthly_discount_rate", monthly_discount_rate)
        if not 0 <= discount < 1:
            raise ClvConfigError(
                f"config 'monthly_discount_rate' must be >= 0 and < 1, got {discount!r}"
            )
        threshold = _number("churn_probability_alive_threshold", churn_probability_alive_threshold)
        if not 0 <= threshold <= 1:
            raise ClvConfigError(
                "config 'churn_probability_alive_threshold' must be between 0 and 1, "
                f"got {threshold!r}"
            )
        unit = _number("time_unit_days", time_unit_days)
        if unit <= 0:
            raise ClvConfigError(f"config 'time_unit_days' must be > 0, got {unit!r}")
        return cls(
            horizon_months=horizon_months,
            monthly_discount_rate=discount,
            churn_probability_alive_threshold=threshold,
            time_unit_days=unit,
            calibration_start_date=_optional_date("calibration_start_date", calibration_start_date),
        )


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClvConfigError(f"config '{name}' must be a finite number, got {value!r}")
    return float(value)


def _optional_date(name: str, value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ClvConfigError(f"config '{name}' must be null or a date 'YYYY-MM-DD', got {value!r}")


# --- Summary -------------------------------------------------------------------------------


def summarize_transactions(
    transactions: pd.DataFrame | duckdb.DuckDBPyRelation,
    customer_column: str,
    date_column: str,
    amount_column: str,
    calibration_end: date,
    time_unit_days: float = 7.0,
    calibration_start: date | None = None,
) -> pd.DataFrame:
    """One row per customer with a transaction in [calibration_start, calibration_end].

    Columns: the customer column, frequency (repeat purchase days), recency and T (time units
    from the first purchase day to the last one and to calibration_end), monetary_value (mean
    net amount per repeat purchase day, 0 without repeats), first_purchase_date and
    last_purchase_date. Sorted by customer. Transactions outside the window are ignored.

    `transactions` is a pandas frame or a DuckDB relation; DuckDB aggregates it either way, so
    a warehouse's orders never have to be loaded into pandas (only the per-customer summary).
    """
    if time_unit_days <= 0:
        raise ValueError(f"time_unit_days must be > 0, got {time_unit_days!r}")
    if isinstance(transactions, duckdb.DuckDBPyRelation):
        relation = transactions
    else:
        relation = duckdb.connect().from_df(transactions)
    customer, day, amount = (_quoted(c) for c in (customer_column, date_column, amount_column))
    start = "" if calibration_start is None else f"and {day} >= date '{calibration_start}'"
    sql = f"""
        with purchase_days as (
            select
                {customer} as customer,
                cast({day} as date) as purchase_date,
                -- Exact decimal sums: a double sum's last bits depend on how DuckDB's threads
                -- split the rows, and the Gamma-Gamma fit then ends elsewhere on its flat
                -- likelihood, so that identical data gave CLVs apart by up to 0.8%.
                sum(coalesce(cast({amount} as decimal(38, 6)), 0)) as amount
            from transactions
            where cast({day} as date) <= date '{calibration_end}' {start}
            group by all
        ),
        marked as (
            select
                *,
                purchase_date > min(purchase_date) over (partition by customer) as is_repeat
            from purchase_days
        )
        select
            customer as {customer},
            count(*) - 1 as frequency,
            date_diff('day', min(purchase_date), max(purchase_date)) / {float(time_unit_days)!r}
                as recency,
            date_diff('day', min(purchase_date), date '{calibration_end}')
                / {float(time_unit_days)!r} as "T",
            coalesce(cast(avg(amount) filter (where is_repeat) as double), 0) as monetary_value,
            cast(min(purchase_date) as timestamp) as first_purchase_date,
            cast(max(purchase_date) as timestamp) as last_purchase_date
        from marked
        group by customer
        order by customer
    """
    summary = relation.query("transactions", sql).df()
    return summary.astype(
        {"frequency": "int64", "recency": "float64", "T": "float64", "monetary_value": "float64"}
    )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --- Optimization --------------------------------------------------------------------------


LOG_PARAMETER_BOUND = 30.0  # parameters stay within exp(+-30)


def _minimize_log_parameters(
    negative_log_likelihood: Callable[[np.ndarray], float],
    start: np.ndarray,
    model_name: str,
) -> tuple[np.ndarray, float]:
    """Minimize over log-parameters; (parameters, minimum), or ClvFitError.

    L-BFGS-B (numerical gradients) first: about ten times fewer likelihood evaluations than
    Nelder-Mead. If it stops without converging, Nelder-Mead from the same start.
    """

    def objective(log_parameters: np.ndarray) -> float:
        if np.any(np.abs(log_parameters) > LOG_PARAMETER_BOUND):
            return np.inf
        value = negative_log_likelihood(np.exp(log_parameters))
        return value if np.isfinite(value) else np.inf

    if not np.isfinite(objective(start)):
        raise ClvFitError(f"{model_name}: the log-likelihood is not finite at the start values")
    result = minimize(
        objective,
        start,
        method="L-BFGS-B",
        bounds=[(-LOG_PARAMETER_BOUND, LOG_PARAMETER_BOUND)] * len(start),
        options={"maxiter": 10_000, "ftol": 1e-12, "gtol": 1e-8},
    )
    if not result.success or not np.isfinite(result.fun):
        result = minimize(
            objective,
            start,
            method="Nelder-Mead",
            options={"maxiter": 20_000, "maxfev": 40_000, "xatol": 1e-7, "fatol": 1e-10},
        )
    if not result.success or not np.isfinite(result.fun):
        raise ClvFitError(
            f"{model_name} fit did not converge (L-BFGS-B, then Nelder-Mead after "
            f"{result.nit} iterations): {result.message}"
        )
    return np.exp(result.x), float(result.fun)


def _unique_rows(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Distinct rows of the columns and how often each occurs: the likelihood is a sum over
    customers, and many customers share (frequency, recency, T), so fitting is much faster."""
    stacked = np.column_stack([np.asarray(column, dtype="float64") for column in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return tuple(unique[:, i] for i in range(unique.shape[1])), counts.astype("float64")


# --- BG/NBD --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbdParameters:
    r: float
    alpha: float  # in the summary's time unit
    a: float
    b: float
    log_likelihood: float  # total over the customers fitted on
    n_customers: int


def bgnbd_log_likelihood(
    r: float,
    alpha: float,
    a: float,
    b: float,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803 (the models' standard name)
) -> np.ndarray:
    """Each customer's log-likelihood under BG/NBD (FHL 2005, equation 6)."""
    x = np.asarray(frequency, dtype="float64")
    x_values, x_index = np.unique(x, return_inverse=True)
    return _bgnbd_log_likelihood(
        r, alpha, a, b, x_values, x_index, x, np.asarray(recency, dtype="float64"), T
    )


def _bgnbd_log_likelihood(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x_values: np.ndarray,
    x_index: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """bgnbd_log_likelihood with the special functions evaluated once per distinct frequency
    (x_values[x_index] == x): a fit evaluates it hundreds of times on up to millions of rows."""
    T = np.asarray(T, dtype="float64")  # noqa: N806
    common = (gammaln(r + x_values) - gammaln(r) + r * np.log(alpha))[x_index]
    beta_alive = (betaln(a, b + x_values) - betaln(a, b))[x_index]
    still_alive = beta_alive - (r + x) * np.log(alpha + T)
    # Dropped out just after the last purchase; only possible after a repeat purchase.
    repeat_values = np.maximum(x_values, 1.0)  # x = 0 rows are masked below
    beta_dropped = (betaln(a + 1, b + repeat_values - 1) - betaln(a, b))[x_index]
    dropped = np.where(x > 0, beta_dropped - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(still_alive, dropped)


def fit_bgnbd(
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> BgNbdParameters:
    """Maximum-likelihood r, alpha, a, b; ClvFitError without repeat purchases or convergence."""
    x = np.asarray(frequency, dtype="float64")
    t_x = np.asarray(recency, dtype="float64")
    T = np.asarray(T, dtype="float64")  # noqa: N806
    _check_summary(x, t_x, T)
    if not (x > 0).any():
        raise ClvFitError(
            "BG/NBD needs at least one customer with a repeat purchase to estimate dropout"
        )
    (x_u, t_x_u, T_u), weights = _unique_rows(x, t_x, T)  # noqa: N806
    x_values, x_index = np.unique(x_u, return_inverse=True)
    n = weights.sum()

    def negative_log_likelihood(parameters: np.ndarray) -> float:
        r, alpha, a, b = parameters
        log_likelihoods = _bgnbd_log_likelihood(r, alpha, a, b, x_values, x_index, x_u, t_x_u, T_u)
        return -float(weights @ log_likelihoods) / n

    # alpha is a time scale: start it at the mean observation period.
    start = np.log([1.0, max(float(T.mean()), 1e-3), 1.0, 1.0])
    (r, alpha, a, b), mean_nll = _minimize_log_parameters(negative_log_likelihood, start, "BG/NBD")
    return BgNbdParameters(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=float(-mean_nll * n),
        n_customers=len(x),
    )


def _check_summary(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:  # noqa: N803
    if not len(x):
        raise ClvFitError("no customers to fit on")
    if (x < 0).any() or (t_x < 0).any() or (t_x > T + 1e-9).any():
        raise ClvFitError("need frequency >= 0 and 0 <= recency <= T for every customer")
    if ((x > 0) & (t_x <= 0)).any():
        raise ClvFitError("a customer with repeat purchases must have recency > 0")


def probability_alive(
    params: BgNbdParameters,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """P(still alive at T | x, t_x, T) (FHL 2005, equation 13).

    1 for customers without a repeat purchase: BG/NBD lets a customer drop out only right
    after a purchase, and the first one does not count.
    """
    x, t_x, T = _arrays(frequency, recency, T)  # noqa: N806
    return 1.0 / (1.0 + _dropout_odds(params, x, t_x, T))


def _arrays(*values: Any) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(value, dtype="float64") for value in values)


def _dropout_odds(
    params: BgNbdParameters,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) for x > 0, else 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (
            np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(x > 0, np.exp(np.minimum(log_odds, 700.0)), 0.0)


def expected_purchases(
    params: BgNbdParameters,
    t: float | np.ndarray,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005, equation 10); t in time units.

    The hypergeometric term is taken through Euler's transformation,
    ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)
        = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z),   z = t / (alpha+T+t),
    whose series converges fast for any x, so large frequencies do not overflow.
    `t` broadcasts against the customer arrays.
    """
    x, t_x, T, t = _arrays(frequency, recency, T, t)  # noqa: N806
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-9:  # removable singularity of (a+b+x-1)/(a-1)
        a = 1.0 + 1e-9
    z = t / (alpha + T + t)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        remaining = (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        # With large a and b (a concentrated dropout rate) the transformed form is 0 x inf;
        # the untransformed one converges there, so it fills in.
        direct = ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1.0, z
        )
    remaining = np.where(np.isfinite(remaining), remaining, direct)
    expected = (a + b + x - 1.0) / (a - 1.0) * (1.0 - remaining)
    return np.where(t > 0, expected / (1.0 + _dropout_odds(params, x, t_x, T)), 0.0)


# --- Gamma-Gamma ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GammaGammaParameters:
    p: float
    q: float
    gamma: float  # called v in some software
    log_likelihood: float
    n_customers: int  # customers fitted on: frequency > 0 and monetary_value > 0

    @property
    def population_mean(self) -> float:
        """Mean spend per transaction across customers, p * gamma / (q - 1) (needs q > 1)."""
        return self.p * self.gamma / (self.q - 1.0)


def gamma_gamma_log_likelihood(
    p: float, q: float, gamma: float, frequency: np.ndarray, monetary_value: np.ndarray
) -> np.ndarray:
    """Each customer's log-likelihood of their mean spend under Gamma-Gamma (x > 0, m > 0)."""
    x, m = _arrays(frequency, monetary_value)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def fit_gamma_gamma(frequency: np.ndarray, monetary_value: np.ndarray) -> GammaGammaParameters:
    """Maximum-likelihood p, q, gamma on customers with frequency > 0 and monetary_value > 0.

    ClvFitError with fewer than 3 such customers, without convergence, or when q <= 1
    (the population mean spend would be infinite).
    """
    x, m = _arrays(frequency, monetary_value)
    eligible = (x > 0) & (m > 0) & np.isfinite(m)
    if eligible.sum() < 3:
        raise ClvFitError(
            "Gamma-Gamma needs at least 3 customers with a repeat purchase and positive "
            f"average spend, found {int(eligible.sum())}"
        )
    (x_u, m_u), weights = _unique_rows(x[eligible], m[eligible])
    n = weights.sum()

    def negative_log_likelihood(parameters: np.ndarray) -> float:
        p, q, gamma = parameters
        return -float(weights @ gamma_gamma_log_likelihood(p, q, gamma, x_u, m_u)) / n

    start = np.log([1.0, 2.0, float(np.mean(m[eligible]))])
    (p, q, gamma), mean_nll = _minimize_log_parameters(
        negative_log_likelihood, start, "Gamma-Gamma"
    )
    if q <= 1:
        raise ClvFitError(
            f"Gamma-Gamma fit gave q = {q:.3f} <= 1: spend is too heavy-tailed for a finite "
            "mean; check for extreme amounts"
        )
    return GammaGammaParameters(
        p=float(p),
        q=float(q),
        gamma=float(gamma),
        log_likelihood=float(-mean_nll * n),
        n_customers=int(eligible.sum()),
    )


def expected_average_spend(
    params: GammaGammaParameters, frequency: np.ndarray, monetary_value: np.ndarray
) -> np.ndarray:
    """E[spend per transaction | x, m]: a weighted mean of the customer's m and the population
    mean p * gamma / (q - 1). Customers outside the fit (no repeat purchase, or m <= 0) get
    the population mean: their own average says nothing the model can use."""
    x, m = _arrays(frequency, monetary_value)
    p, q, gamma = params.p, params.q, params.gamma
    eligible = (x > 0) & (m > 0) & np.isfinite(m)
    conditional = p * (gamma + x * m) / (p * x + q - 1.0)
    return np.where(eligible, conditional, params.population_mean)


# --- CLV -----------------------------------------------------------------------------------


def customer_lifetime_value(
    bgnbd: BgNbdParameters,
    gamma_gamma: GammaGammaParameters,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
    monetary_value: np.ndarray,
    horizon_months: int,
    monthly_discount_rate: float,
    time_unit_days: float,
) -> np.ndarray:
    """Discounted expected spend over the next `horizon_months` months.

    sum over i = 1..H of (E[purchases by month i] - E[purchases by month i-1])
    * E[spend per transaction] / (1 + d) ** i, with a month of 365.25 / 12 days.
    """
    x, t_x, T, m = _arrays(frequency, recency, T, monetary_value)  # noqa: N806
    month = DAYS_PER_MONTH / time_unit_days
    horizons = month * np.arange(horizon_months + 1, dtype="float64")
    cumulative = expected_purchases(bgnbd, horizons[None, :], x[:, None], t_x[:, None], T[:, None])
    per_month = np.diff(cumulative, axis=1)
    discount = (1.0 + monthly_discount_rate) ** -np.arange(1, horizon_months + 1)
    return (per_month @ discount) * expected_average_spend(gamma_gamma, x, m)


# --- One call for the dbt model ------------------------------------------------------------

PREDICTION_COLUMNS: dict[str, str] = {
    "customer_id": "int64",
    "as_of_date": "datetime64[us]",
    "repeat_purchase_count": "int64",
    "days_first_to_last_purchase": "int64",
    "days_since_first_purchase": "int64",
    "average_repeat_spend": "float64",
    "probability_alive": "float64",
    "expected_purchases": "float64",
    "expected_average_spend": "float64",
    "predicted_clv": "float64",
    "is_likely_churned": "boolean",
    "horizon_months": "int64",
    "monthly_discount_rate": "float64",
    "time_unit_days": "float64",
    "bgnbd_r": "float64",
    "bgnbd_alpha": "float64",
    "bgnbd_a": "float64",
    "bgnbd_b": "float64",
    "bgnbd_log_likelihood": "float64",
    "gamma_gamma_p": "float64",
    "gamma_gamma_q": "float64",
    "gamma_gamma_v": "float64",
    "gamma_gamma_customer_count": "Int64",
    # Why a model could not be fitted (its predictions are null), or null when both were.
    "model_fit_message": "object",
}


def predict_customer_lifetime_values(
    transactions: pd.DataFrame | duckdb.DuckDBPyRelation,
    as_of_date: date,
    config: ClvConfig,
    customer_column: str = "customer_id",
    date_column: str = "order_date",
    amount_column: str = "net_amount",
) -> pd.DataFrame:
    """Summarize, fit both models on the window ending at `as_of_date`, predict per customer.

    One row per customer with a transaction in the window (PREDICTION_COLUMNS), sorted by
    customer; the fitted parameters and settings repeat on every row.
    """
    summary = summarize_transactions(
        transactions,
        customer_column,
        date_column,
        amount_column,
        as_of_date,
        config.time_unit_days,
        config.calibration_start_date,
    )
    x, t_x, T, m = (summary[column].to_numpy() for column in SUMMARY_COLUMNS)  # noqa: N806
    frame = pd.DataFrame(
        {
            "customer_id": summary[customer_column].to_numpy(),
            "as_of_date": pd.Timestamp(as_of_date),
            "repeat_purchase_count": x,
            # The models work in time units; days are what a reader checks against dates.
            "days_first_to_last_purchase": np.rint(t_x * config.time_unit_days),
            "days_since_first_purchase": np.rint(T * config.time_unit_days),
            "average_repeat_spend": m,
            "horizon_months": config.horizon_months,
            "monthly_discount_rate": config.monthly_discount_rate,
            "time_unit_days": config.time_unit_days,
        }
    )
    # Data the models cannot be fitted on (no repeat buyer, too few spenders) leaves their
    # columns null and says why in model_fit_message, rather than failing the build.
    try:
        bgnbd = fit_bgnbd(x, t_x, T)
    except ClvFitError as error:
        return _unfitted(frame, f"BG/NBD and Gamma-Gamma not fitted: {error}")
    alive = probability_alive(bgnbd, x, t_x, T)
    horizon = config.horizon_months * DAYS_PER_MONTH / config.time_unit_days
    purchases = expected_purchases(bgnbd, horizon, x, t_x, T)
    if not (np.isfinite(alive).all() and np.isfinite(purchases).all()):
        return _unfitted(
            frame,
            "BG/NBD and Gamma-Gamma not fitted: the BG/NBD fit is degenerate (r "
            f"{bgnbd.r:.3g}, alpha {bgnbd.alpha:.3g}, a {bgnbd.a:.3g}, b {bgnbd.b:.3g}) and "
            "gives no finite prediction",
        )
    frame = frame.assign(
        probability_alive=alive,
        expected_purchases=purchases,
        is_likely_churned=alive < config.churn_probability_alive_threshold,
        bgnbd_r=bgnbd.r,
        bgnbd_alpha=bgnbd.alpha,
        bgnbd_a=bgnbd.a,
        bgnbd_b=bgnbd.b,
        bgnbd_log_likelihood=bgnbd.log_likelihood,
    )
    try:
        gamma_gamma = fit_gamma_gamma(x, m)
    except ClvFitError as error:
        return _unfitted(frame, f"Gamma-Gamma not fitted (no spend prediction): {error}")
    clv = customer_lifetime_value(
        bgnbd,
        gamma_gamma,
        x,
        t_x,
        T,
        m,
        config.horizon_months,
        config.monthly_discount_rate,
        config.time_unit_days,
    )
    if not np.isfinite(clv).all():
        return _unfitted(
            frame, "Gamma-Gamma not fitted (no spend prediction): it gives no finite value"
        )
    frame = frame.assign(
        expected_average_spend=expected_average_spend(gamma_gamma, x, m),
        predicted_clv=clv,
        gamma_gamma_p=gamma_gamma.p,
        gamma_gamma_q=gamma_gamma.q,
        gamma_gamma_v=gamma_gamma.gamma,
        gamma_gamma_customer_count=gamma_gamma.n_customers,
        model_fit_message=None,
    )
    return frame.reindex(columns=list(PREDICTION_COLUMNS)).astype(PREDICTION_COLUMNS)


def _unfitted(frame: pd.DataFrame, message: str) -> pd.DataFrame:
    """The predictions made so far, every other column null, and why."""
    frame = frame.assign(model_fit_message=message)
    return frame.reindex(columns=list(PREDICTION_COLUMNS)).astype(PREDICTION_COLUMNS)
