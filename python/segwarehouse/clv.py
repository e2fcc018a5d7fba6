"""Customer lifetime value: BG/NBD purchase counts x Gamma-Gamma spend, discounted by month.

summarize -> fit BG/NBD -> fit Gamma-Gamma -> predict. Every step is a pure function; the fits
are maximum likelihood with scipy on log-parameters, so no parameter can leave (0, inf).

Fit occasionally, score every build: a fit (the seven parameters, the settings and the as-of
date it was fitted with) is a plain dataclass that round-trips through one table row, so dbt
keeps every fit and a build refits only when `why_refit` says it is due; otherwise it scores
every customer's current history with the stored parameters (`score_customer_lifetime_values`).

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

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, hyp2f1

DAYS_PER_MONTH = 365.25 / 12
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


class ClvConfigError(ValueError):
    """A CLV setting is missing or invalid; the message names it and what is allowed."""


class ClvFitError(RuntimeError):
    """A model could not be fitted: too little data, or the optimizer did not converge."""


# Names the fitting method in the settings' fingerprint: change it when a change to the code
# changes what a fit on the same data gives, so that every stored fit is refitted once.
# 2: analytic gradients (156afae), which end the fits a hair from where numerical ones did.
FIT_METHOD = "bgnbd-gamma_gamma-mle-2"


@dataclass(frozen=True)
class ClvFitConfig:
    """The settings the fitted parameters depend on: a stored fit is used only with these."""

    # Length of the models' time unit in days (7 = weeks); the fitted alpha is in this unit.
    time_unit_days: float
    # First date of the calibration window; None means all history up to the as-of date.
    calibration_start_date: date | None

    @classmethod
    def from_settings(cls, *, time_unit_days: Any, calibration_start_date: Any) -> ClvFitConfig:
        """Validate settings as read from dbt model config; raise naming the bad setting."""
        unit = _number("time_unit_days", time_unit_days)
        if unit <= 0:
            raise ClvConfigError(f"config 'time_unit_days' must be > 0, got {unit!r}")
        return cls(
            time_unit_days=unit,
            calibration_start_date=_optional_date("calibration_start_date", calibration_start_date),
        )

    @property
    def fingerprint(self) -> str:
        """Hash of the settings and method a fit depends on; a change triggers a refit."""
        start = self.calibration_start_date
        settings = {
            "fit_method": FIT_METHOD,
            "time_unit_days": float(self.time_unit_days),
            "calibration_start_date": None if start is None else start.isoformat(),
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


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
        fit = ClvFitConfig.from_settings(
            time_unit_days=time_unit_days, calibration_start_date=calibration_start_date
        )
        return cls(
            horizon_months=horizon_months,
            monthly_discount_rate=discount,
            churn_probability_alive_threshold=threshold,
            time_unit_days=fit.time_unit_days,
            calibration_start_date=fit.calibration_start_date,
        )

    @property
    def fit(self) -> ClvFitConfig:
        """The settings a fit depends on. The horizon, discount rate and churn threshold are
        not among them: they are applied when scoring, to whichever parameters are used."""
        return ClvFitConfig(self.time_unit_days, self.calibration_start_date)


@dataclass(frozen=True)
class ClvRefitPolicy:
    """When a build fits anew rather than scoring with the stored fit (see why_refit)."""

    # Refit when the stored fit's as-of date is this many days or more before the build's
    # (0: every build).
    refit_days: int
    # Refit when the customers with a kept order in the window changed, up or down, by more
    # than this share of those the stored fit was fitted on.
    max_customer_change: float
    # Refit in this build whatever the rest says.
    requested: bool

    @classmethod
    def from_settings(
        cls, *, refit_days: Any, max_customer_change: Any, requested: Any
    ) -> ClvRefitPolicy:
        """Validate settings as read from dbt model config; raise naming the bad setting."""
        if isinstance(refit_days, bool) or not isinstance(refit_days, int) or refit_days < 0:
            raise ClvConfigError(
                f"config 'refit_days' must be an integer >= 0 (0 refits on every build), "
                f"got {refit_days!r}"
            )
        change = _number("max_customer_change", max_customer_change)
        if not 0 < change <= 1:
            raise ClvConfigError(
                "config 'max_customer_change' must be a share above 0 and at most 1 "
                f"(0.05 = 5%), got {change!r}"
            )
        return cls(
            refit_days=refit_days,
            max_customer_change=change,
            requested=_flag("refit", requested),
        )


def _flag(name: str, value: Any) -> bool:
    """A boolean setting; project vars can reach YAML config as strings like 'False'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ClvConfigError(f"config '{name}' must be true or false, got {value!r}")


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
    relation = _relation(transactions)
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


def _relation(transactions: pd.DataFrame | duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    if isinstance(transactions, duckdb.DuckDBPyRelation):
        return transactions
    return duckdb.connect().from_df(transactions)


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --- Optimization --------------------------------------------------------------------------


LOG_PARAMETER_BOUND = 30.0  # parameters stay within exp(+-30)


def _minimize_log_parameters(
    negative_log_likelihood: Callable[[np.ndarray], tuple[float, np.ndarray]],
    start: np.ndarray,
    model_name: str,
) -> tuple[np.ndarray, float]:
    """Minimize over log-parameters; (parameters, minimum), or ClvFitError.

    `negative_log_likelihood` returns the value and its gradient in the parameters. L-BFGS-B
    with that gradient first: one likelihood evaluation per step, where numerical gradients
    took one more per parameter. If it stops without converging, L-BFGS-B with numerical
    gradients, then Nelder-Mead, from the same start (values only). Where the likelihood
    rises towards a limit (every customer drops out alike: BG/NBD's a and b grow without
    bound at a fixed ratio) the exact gradient converges too, since _beta_ratio_terms keeps
    the digits there: it did for each of 240 such simulated shops (test_clv's generator,
    seeds 0 to 239). The fallbacks remain for likelihoods it cannot follow.
    """

    # Imported here: every build imports this module to score, most fit nothing, and SciPy's
    # optimize module took 0.5 s to import.
    from scipy.optimize import minimize

    def objective(log_parameters: np.ndarray) -> tuple[float, np.ndarray]:
        if np.any(np.abs(log_parameters) > LOG_PARAMETER_BOUND):
            return np.inf, np.zeros_like(log_parameters)
        parameters = np.exp(log_parameters)
        value, gradient = negative_log_likelihood(parameters)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return np.inf, np.zeros_like(log_parameters)
        # d/d log(theta) = theta * d/d theta.
        return value, gradient * parameters

    def value_only(log_parameters: np.ndarray) -> float:
        return objective(log_parameters)[0]

    if not np.isfinite(value_only(start)):
        raise ClvFitError(f"{model_name}: the log-likelihood is not finite at the start values")
    lbfgsb: dict[str, Any] = {
        "method": "L-BFGS-B",
        "bounds": [(-LOG_PARAMETER_BOUND, LOG_PARAMETER_BOUND)] * len(start),
        "options": {"maxiter": 10_000, "ftol": 1e-12, "gtol": 1e-8},
    }
    # The first attempt that converges gives the fit.
    attempts: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (objective, {"jac": True, **lbfgsb}),
        (value_only, lbfgsb),
        (
            value_only,
            {
                "method": "Nelder-Mead",
                "options": {"maxiter": 20_000, "maxfev": 40_000, "xatol": 1e-7, "fatol": 1e-10},
            },
        ),
    ]
    for function, settings in attempts:
        result = minimize(function, start, **settings)
        if result.success and np.isfinite(result.fun):
            return np.exp(result.x), float(result.fun)
    raise ClvFitError(
        f"{model_name} fit did not converge (L-BFGS-B twice, then Nelder-Mead after "
        f"{result.nit} iterations): {result.message}"
    )


def _unique_rows(
    *columns: np.ndarray,
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Distinct rows of the columns, in lexicographic order, how often each occurs, and which
    distinct row each row is (distinct[inverse] == columns): the likelihood is a sum over
    customers, and many customers share (frequency, recency, T), so fitting and scoring them
    once each is much faster. What np.unique(axis=0) gives, without its sort of rows as
    opaque records (2.8 s against 0.7 s for a million customers' three columns)."""
    values = [np.asarray(column, dtype="float64") for column in columns]
    order = np.lexsort(values[::-1])  # lexsort's last key is the primary one
    ordered = [column[order] for column in values]
    starts_a_row = np.zeros(len(order), dtype=bool)
    starts_a_row[:1] = True
    for column in ordered:
        starts_a_row[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(starts_a_row)
    counts = np.diff(np.append(starts, len(order)))
    inverse = np.empty(len(order), dtype="int64")
    inverse[order] = np.cumsum(starts_a_row) - 1
    return tuple(column[starts] for column in ordered), counts.astype("float64"), inverse


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
    log_likelihoods, _ = _bgnbd_log_likelihood_and_gradient(
        r, alpha, a, b, x_values, x_index, x, np.asarray(recency, dtype="float64"), T
    )
    return log_likelihoods


def _bgnbd_log_likelihood_and_gradient(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x_values: np.ndarray,
    x_index: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's BG/NBD log-likelihood and its gradient in (r, alpha, a, b), shape (4,
    customers). The special functions are evaluated once per distinct frequency
    (x_values[x_index] == x): a fit evaluates this a few hundred times on up to millions of
    rows.

    The likelihood mixes two cases, still alive at T and dropped out just after the last
    purchase; each case's derivative counts with its share of the likelihood."""
    T = np.asarray(T, dtype="float64")  # noqa: N806
    log_alpha_T = np.log(alpha + T)  # noqa: N806
    log_alpha_t_x = np.log(alpha + t_x)
    common = (gammaln(r + x_values) - gammaln(r) + r * np.log(alpha))[x_index]
    ratio, over_b, over_ab = _beta_ratio_terms(a, b, x_values)
    beta_alive = ratio[0][x_index]
    still_alive = beta_alive - (r + x) * log_alpha_T
    # Dropped out just after the last purchase; only possible after a repeat purchase.
    repeat_values = np.maximum(x_values, 1.0)  # x = 0 rows are masked below
    beta_dropped = (np.log(a / (a + b + repeat_values - 1.0)) + ratio[1])[x_index]
    dropped = np.where(x > 0, beta_dropped - (r + x) * log_alpha_t_x, -np.inf)
    mixed = np.logaddexp(still_alive, dropped)
    alive_share = np.exp(still_alive - mixed)
    dropped_share = np.exp(dropped - mixed)  # 0 where x = 0
    d_a_alive = (-over_ab)[x_index]
    d_a_dropped = (1.0 / a - over_ab)[x_index]
    d_b_alive = (over_b[0] - over_ab)[x_index]
    d_b_dropped = (over_b[1] - over_ab)[x_index]
    gradient = np.stack(
        [
            (digamma(r + x_values) - digamma(r))[x_index]
            + np.log(alpha)
            - alive_share * log_alpha_T
            - dropped_share * log_alpha_t_x,
            r / alpha - (r + x) * (alive_share / (alpha + T) + dropped_share / (alpha + t_x)),
            alive_share * d_a_alive + dropped_share * d_a_dropped,
            alive_share * d_b_alive + dropped_share * d_b_dropped,
        ]
    )
    return common + mixed, gradient


def _beta_ratio_terms(
    a: float, b: float, x_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each frequency x: the sums over j < k of log((b + j) / (a + b + j)) and of
    1 / (b + j), with k = x (row 0) and k = max(x - 1, 0) (row 1), and of 1 / (a + b + j)
    over j < x. So B(a, b + x) / B(a, b) = exp(row 0 of the first), and
    B(a + 1, b + x - 1) / B(a, b) = a / (a + b + x - 1) * exp(row 1 of the first); the other
    sums are the derivatives of their logs.

    Sums of terms, not differences of betaln and digamma: when every customer drops out
    alike, the fit takes a and b towards infinity at a fixed ratio, and at a + b = 1e10 the
    differences of betaln lose the likelihood's digits (the total of 500 customers was off by
    0.009 there and by +0.87 at 1e12, a spurious maximum the optimizer then chased).
    """
    counts = np.asarray(x_values, dtype="float64")
    if (counts != np.round(counts)).any():
        raise ClvFitError("BG/NBD frequencies must be whole numbers of repeat purchases")
    whole = counts.astype("int64")
    j = np.arange(int(whole.max(initial=0)), dtype="float64")
    # Cumulative sums from 0, so that entry k sums the terms j < k.
    log_ratio = np.concatenate([[0.0], np.cumsum(np.log((b + j) / (a + b + j)))])
    inverse_b = np.concatenate([[0.0], np.cumsum(1.0 / (b + j))])
    inverse_ab = np.concatenate([[0.0], np.cumsum(1.0 / (a + b + j))])
    rows = np.stack([whole, np.maximum(whole - 1, 0)])
    return log_ratio[rows], inverse_b[rows], inverse_ab[whole]


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
    (x_u, t_x_u, T_u), weights, _ = _unique_rows(x, t_x, T)  # noqa: N806
    x_values, x_index = np.unique(x_u, return_inverse=True)
    n = weights.sum()

    def negative_log_likelihood(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = parameters
        log_likelihoods, gradients = _bgnbd_log_likelihood_and_gradient(
            r, alpha, a, b, x_values, x_index, x_u, t_x_u, T_u
        )
        return -float(weights @ log_likelihoods) / n, -(gradients @ weights) / n

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
        remaining = np.asarray(
            (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        )
        # With large a and b (a concentrated dropout rate) the transformed form is 0 x inf;
        # the untransformed one converges there, so it fills in. Only there: the series is
        # most of the scoring's time (1M customers by 13 horizons).
        unfinished = ~np.isfinite(remaining)
        if unfinished.any():
            xu, Tu, tu, zu = (  # noqa: N806
                np.broadcast_to(v, remaining.shape)[unfinished] for v in (x, T, t, z)
            )
            remaining[unfinished] = ((alpha + Tu) / (alpha + Tu + tu)) ** (r + xu) * hyp2f1(
                r + xu, b + xu, a + b + xu - 1.0, zu
            )
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
    return _gamma_gamma_log_likelihood_and_gradient(p, q, gamma, frequency, monetary_value)[0]


def _gamma_gamma_log_likelihood_and_gradient(
    p: float, q: float, gamma: float, frequency: np.ndarray, monetary_value: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """gamma_gamma_log_likelihood and its gradient in (p, q, gamma), shape (3, customers)."""
    x, m = _arrays(frequency, monetary_value)
    px = p * x
    log_m, log_x = np.log(m), np.log(x)
    log_gamma_mx = np.log(gamma + m * x)
    log_likelihoods = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * log_m
        + px * log_x
        - (px + q) * log_gamma_mx
    )
    psi_pxq = digamma(px + q)
    gradient = np.stack(
        [
            x * (psi_pxq - digamma(px) + log_m + log_x - log_gamma_mx),
            psi_pxq - digamma(q) + np.log(gamma) - log_gamma_mx,
            q / gamma - (px + q) / (gamma + m * x),
        ]
    )
    return log_likelihoods, gradient


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
    (x_u, m_u), weights, _ = _unique_rows(x[eligible], m[eligible])
    n = weights.sum()

    def negative_log_likelihood(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = parameters
        log_likelihoods, gradients = _gamma_gamma_log_likelihood_and_gradient(p, q, gamma, x_u, m_u)
        return -float(weights @ log_likelihoods) / n, -(gradients @ weights) / n

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
    # Once per distinct (x, t_x, T), which customers share (431,506 of 967,220 in the 1M
    # bench): the series is most of the scoring's time, and element by element the values
    # are the same.
    (x_u, t_x_u, T_u), _, row = _unique_rows(x, t_x, T)  # noqa: N806
    cumulative = expected_purchases(
        bgnbd, horizons[None, :], x_u[:, None], t_x_u[:, None], T_u[:, None]
    )
    per_month = np.diff(cumulative, axis=1)
    discount = (1.0 + monthly_discount_rate) ** -np.arange(1, horizon_months + 1)
    # Month by month, in order, not a matrix product: BLAS picks its kernel and summing order
    # by the number of customers, so a customer's value changed in its last bits with how many
    # were scored together.
    discounted = np.zeros(len(per_month))
    for month_index in range(horizon_months):
        discounted += per_month[:, month_index] * discount[month_index]
    return discounted[row] * expected_average_spend(gamma_gamma, x, m)


# --- Stored fits: fit occasionally, score every build --------------------------------------


class ClvModelError(RuntimeError):
    """No stored fit may score this build: none is stored, or the one that would be used was
    fitted with other settings or on data after the build's as-of date."""


# Why a build fitted anew (LifetimeValueModel.refit_reason); see why_refit.
REFIT_REASONS = ("no_model", "config_changed", "requested", "scheduled", "population_changed")


@dataclass(frozen=True)
class LifetimeValueModel:
    """One fit of BG/NBD and Gamma-Gamma, as a build stores it and later builds score with it."""

    model_version: str
    fitted_at: datetime
    config_fingerprint: str  # ClvFitConfig.fingerprint of the settings fitted with
    refit_reason: str  # a REFIT_REASONS value
    as_of_date: date  # the fit saw the kept orders up to this date
    fit: ClvFitConfig
    # Customers with a kept order in the calibration window: all of them were fitted on.
    customer_count: int
    bgnbd: BgNbdParameters | None  # None: not fitted, fit_message says why
    gamma_gamma: GammaGammaParameters | None  # None: not fitted, fit_message says why
    fit_message: str | None  # why a model could not be fitted; None when both were

    @property
    def is_fitted(self) -> bool:
        return self.fit_message is None


# One row per fit: what int_lifetime_value_models_fitted stores.
MODEL_COLUMNS: dict[str, str] = {
    "_model_version": "string",
    "_fitted_at": "datetime64[us]",
    "_config_fingerprint": "string",
    "refit_reason": "string",
    "as_of_date": "datetime64[us]",
    "time_unit_days": "float64",
    "calibration_start_date": "datetime64[us]",
    "customer_count": "int64",
    "bgnbd_r": "float64",
    "bgnbd_alpha": "float64",
    "bgnbd_a": "float64",
    "bgnbd_b": "float64",
    "bgnbd_log_likelihood": "float64",
    "gamma_gamma_p": "float64",
    "gamma_gamma_q": "float64",
    "gamma_gamma_v": "float64",
    "gamma_gamma_log_likelihood": "float64",
    "gamma_gamma_customer_count": "Int64",
    "fit_message": "string",
}


def select_model(models: pd.DataFrame | None, as_of_date: date) -> LifetimeValueModel | None:
    """The fit a build as of `as_of_date` scores with, of the stored ones (MODEL_COLUMNS): the
    latest fitted on data up to that date (the latest as-of date, then the latest fitted).

    A fit of a later as-of date is never chosen: it has seen orders after the build's date,
    so a backfill to an earlier date gets a fit of its own (why_refit: no_model).
    """
    if models is None or models.empty:
        return None
    usable = models[pd.to_datetime(models["as_of_date"]) <= pd.Timestamp(as_of_date)]
    if usable.empty:
        return None
    latest = usable.sort_values(["as_of_date", "_fitted_at", "_model_version"]).iloc[-1]
    return model_from_row(latest)


def why_refit(
    model: LifetimeValueModel | None,
    as_of_date: date,
    customer_count: int,
    fit_config: ClvFitConfig,
    policy: ClvRefitPolicy,
) -> str | None:
    """Why a build as of `as_of_date` must fit anew, or None to score with `model`, the stored
    fit select_model chose. `customer_count`: customers with a kept order in the window now.

    - no_model: nothing stored fitted on data up to the as-of date, or that fit could not fit
      both models (the next build tries again);
    - config_changed: it was fitted with other settings (ClvFitConfig.fingerprint);
    - requested: policy.requested (var refit_clv);
    - scheduled: its as-of date is policy.refit_days days or more before the build's;
    - population_changed: the customers with a kept order changed, up or down, by more than
      policy.max_customer_change of the customers it was fitted on.
    """
    if model is None:
        return "no_model"
    if model.config_fingerprint != fit_config.fingerprint:
        return "config_changed"
    if not model.is_fitted:
        return "no_model"
    if policy.requested:
        return "requested"
    if (as_of_date - model.as_of_date).days >= policy.refit_days:
        return "scheduled"
    if abs(customer_count - model.customer_count) > policy.max_customer_change * max(
        model.customer_count, 1
    ):
        return "population_changed"
    return None


def fit_lifetime_value_model(
    summary: pd.DataFrame,
    as_of_date: date,
    fit_config: ClvFitConfig,
    refit_reason: str,
    fitted_at: datetime,
) -> LifetimeValueModel:
    """Fit BG/NBD, then Gamma-Gamma, on a summary (summarize_transactions) of the window
    ending at `as_of_date`. Data a model cannot be fitted on leaves its parameters None and
    says why in fit_message (Gamma-Gamma is not tried without BG/NBD)."""
    if refit_reason not in REFIT_REASONS:
        raise ValueError(f"refit_reason must be one of {REFIT_REASONS}, got {refit_reason!r}")
    x, t_x, T, m = (summary[column].to_numpy() for column in SUMMARY_COLUMNS)  # noqa: N806
    bgnbd: BgNbdParameters | None = None
    gamma_gamma: GammaGammaParameters | None = None
    message: str | None = None
    try:
        bgnbd = fit_bgnbd(x, t_x, T)
    except ClvFitError as error:
        message = f"BG/NBD and Gamma-Gamma not fitted: {error}"
    else:
        try:
            gamma_gamma = fit_gamma_gamma(x, m)
        except ClvFitError as error:
            message = f"Gamma-Gamma not fitted (no spend prediction): {error}"
    payload = {
        "fitted_at": fitted_at.isoformat(),
        "config": fit_config.fingerprint,
        "as_of_date": as_of_date.isoformat(),
        "bgnbd": None if bgnbd is None else [bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b],
        "gamma_gamma": None
        if gamma_gamma is None
        else [gamma_gamma.p, gamma_gamma.q, gamma_gamma.gamma],
        "fit_message": message,
    }
    return LifetimeValueModel(
        model_version=hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:12],
        fitted_at=fitted_at,
        config_fingerprint=fit_config.fingerprint,
        refit_reason=refit_reason,
        as_of_date=as_of_date,
        fit=fit_config,
        customer_count=len(summary),
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        fit_message=message,
    )


def empty_model_frame() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in MODEL_COLUMNS.items()})


def model_to_frame(model: LifetimeValueModel) -> pd.DataFrame:
    """The fit as one row of MODEL_COLUMNS."""
    bgnbd, gamma_gamma = model.bgnbd, model.gamma_gamma
    start = model.fit.calibration_start_date
    row = {
        "_model_version": model.model_version,
        "_fitted_at": pd.Timestamp(model.fitted_at),
        "_config_fingerprint": model.config_fingerprint,
        "refit_reason": model.refit_reason,
        "as_of_date": pd.Timestamp(model.as_of_date),
        "time_unit_days": model.fit.time_unit_days,
        "calibration_start_date": pd.NaT if start is None else pd.Timestamp(start),
        "customer_count": model.customer_count,
        "bgnbd_r": None if bgnbd is None else bgnbd.r,
        "bgnbd_alpha": None if bgnbd is None else bgnbd.alpha,
        "bgnbd_a": None if bgnbd is None else bgnbd.a,
        "bgnbd_b": None if bgnbd is None else bgnbd.b,
        "bgnbd_log_likelihood": None if bgnbd is None else bgnbd.log_likelihood,
        "gamma_gamma_p": None if gamma_gamma is None else gamma_gamma.p,
        "gamma_gamma_q": None if gamma_gamma is None else gamma_gamma.q,
        "gamma_gamma_v": None if gamma_gamma is None else gamma_gamma.gamma,
        "gamma_gamma_log_likelihood": None if gamma_gamma is None else gamma_gamma.log_likelihood,
        "gamma_gamma_customer_count": None if gamma_gamma is None else gamma_gamma.n_customers,
        "fit_message": model.fit_message,
    }
    return pd.DataFrame([row], columns=list(MODEL_COLUMNS)).astype(MODEL_COLUMNS)


def model_from_row(row: pd.Series) -> LifetimeValueModel:
    """Inverse of model_to_frame, for one stored row."""

    def value(column: str) -> Any:
        return None if pd.isna(row[column]) else row[column]

    bgnbd = None
    if value("bgnbd_r") is not None:
        bgnbd = BgNbdParameters(
            r=float(row["bgnbd_r"]),
            alpha=float(row["bgnbd_alpha"]),
            a=float(row["bgnbd_a"]),
            b=float(row["bgnbd_b"]),
            log_likelihood=float(row["bgnbd_log_likelihood"]),
            n_customers=int(row["customer_count"]),
        )
    gamma_gamma = None
    if value("gamma_gamma_p") is not None:
        gamma_gamma = GammaGammaParameters(
            p=float(row["gamma_gamma_p"]),
            q=float(row["gamma_gamma_q"]),
            gamma=float(row["gamma_gamma_v"]),
            log_likelihood=float(row["gamma_gamma_log_likelihood"]),
            n_customers=int(row["gamma_gamma_customer_count"]),
        )
    start = value("calibration_start_date")
    return LifetimeValueModel(
        model_version=str(row["_model_version"]),
        fitted_at=pd.Timestamp(row["_fitted_at"]).to_pydatetime(),
        config_fingerprint=str(row["_config_fingerprint"]),
        refit_reason=str(row["refit_reason"]),
        as_of_date=pd.Timestamp(row["as_of_date"]).date(),
        fit=ClvFitConfig(
            time_unit_days=float(row["time_unit_days"]),
            calibration_start_date=None if start is None else pd.Timestamp(start).date(),
        ),
        customer_count=int(row["customer_count"]),
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        fit_message=value("fit_message"),
    )


def count_customers(
    transactions: pd.DataFrame | duckdb.DuckDBPyRelation,
    customer_column: str,
    date_column: str,
    calibration_end: date,
    calibration_start: date | None = None,
) -> int:
    """Customers with a transaction in [calibration_start, calibration_end]: the rows
    summarize_transactions would give, counted without summarizing."""
    relation = _relation(transactions)
    customer, day = _quoted(customer_column), _quoted(date_column)
    start = (
        ""
        if calibration_start is None
        else f"and cast({day} as date) >= date '{calibration_start}'"
    )
    sql = f"""
        select count(*) from (
            select distinct {customer}
            from transactions
            where cast({day} as date) <= date '{calibration_end}' {start}
        )
    """
    return int(relation.query("transactions", sql).fetchall()[0][0])


def fit_if_due(
    models: pd.DataFrame | None,
    transactions: pd.DataFrame | duckdb.DuckDBPyRelation,
    as_of_date: date,
    fit_config: ClvFitConfig,
    policy: ClvRefitPolicy,
    customer_column: str = "customer_id",
    date_column: str = "order_date",
    amount_column: str = "net_amount",
    fitted_at: datetime | None = None,
) -> pd.DataFrame:
    """The new fit's row (MODEL_COLUMNS) to add to the stored `models`, or none when the fit
    select_model picks for `as_of_date` may be used (why_refit). Only the customers are
    counted then; the transactions are summarized and fitted on only when a fit is due."""
    customer_count = count_customers(
        transactions, customer_column, date_column, as_of_date, fit_config.calibration_start_date
    )
    current = select_model(models, as_of_date)
    reason = why_refit(current, as_of_date, customer_count, fit_config, policy)
    if reason is None:
        return empty_model_frame()
    summary = summarize_transactions(
        transactions,
        customer_column,
        date_column,
        amount_column,
        as_of_date,
        fit_config.time_unit_days,
        fit_config.calibration_start_date,
    )
    fitted_at = fitted_at or datetime.now(UTC).replace(tzinfo=None)
    return model_to_frame(
        fit_lifetime_value_model(summary, as_of_date, fit_config, reason, fitted_at)
    )


def check_model(
    model: LifetimeValueModel | None, as_of_date: date, fit_config: ClvFitConfig
) -> LifetimeValueModel:
    """`model`, if it may score a build as of `as_of_date` with these settings; else
    ClvModelError saying why: a stored fit is never used with other settings, nor to score a
    date before its own."""
    rebuild = (
        "build the model that fits it in the same run: dbt build --select "
        "int_lifetime_value_models_fitted+"
    )
    if model is None:
        raise ClvModelError(
            f"no customer lifetime value fit is stored for {as_of_date} or earlier: {rebuild}"
        )
    if model.config_fingerprint != fit_config.fingerprint:
        raise ClvModelError(
            f"the customer lifetime value fit {model.model_version} (as of {model.as_of_date}) "
            f"was fitted with time_unit_days {model.fit.time_unit_days:g} and "
            f"calibration_start_date {model.fit.calibration_start_date}, not with this "
            f"build's {fit_config.time_unit_days:g} and {fit_config.calibration_start_date} "
            f"(settings fingerprint {model.config_fingerprint}, not {fit_config.fingerprint}): "
            f"{rebuild}"
        )
    if model.as_of_date > as_of_date:
        raise ClvModelError(
            f"the customer lifetime value fit {model.model_version} was fitted on data up to "
            f"{model.as_of_date}, after this build's as-of date {as_of_date}: {rebuild}"
        )
    return model


# --- Scoring: one call for the dbt model ---------------------------------------------------

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
    # The fit that scored the row (LifetimeValueModel): its version and as-of date.
    "_model_version": "object",
    "model_as_of_date": "datetime64[us]",
}


def score_customer_lifetime_values(
    summary: pd.DataFrame,
    as_of_date: date,
    config: ClvConfig,
    model: LifetimeValueModel,
    customer_column: str = "customer_id",
) -> pd.DataFrame:
    """Predict per customer of a summary (summarize_transactions, window ending at
    `as_of_date`) with a fit's parameters: one row per customer (PREDICTION_COLUMNS), sorted
    as the summary; the parameters, the settings and the fit's version repeat on every row."""
    columns, message = _predictions(summary, as_of_date, config, model, customer_column, None)
    return _prediction_frame(columns, message, slice(None))


def score_customer_lifetime_values_in_batches(
    summary: pd.DataFrame,
    as_of_date: date,
    config: ClvConfig,
    model: LifetimeValueModel,
    batch_rows: int,
    customer_column: str = "customer_id",
) -> Iterator[pd.DataFrame]:
    """score_customer_lifetime_values' rows, `batch_rows` at a time (at least one frame, empty
    for an empty summary), computed `batch_rows` customers at a time too: at 10M customers the
    series' temporaries and the frame of every customer took gigabytes. Every prediction is per
    customer, so the values are the same; the models still count as not fitted when any
    customer's prediction is not finite, as in one frame."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows!r}")
    columns, message = _predictions(summary, as_of_date, config, model, customer_column, batch_rows)
    for start in range(0, max(len(summary), 1), batch_rows):
        yield _prediction_frame(columns, message, slice(start, start + batch_rows))


def _predictions(
    summary: pd.DataFrame,
    as_of_date: date,
    config: ClvConfig,
    model: LifetimeValueModel,
    customer_column: str,
    chunk_rows: int | None,
) -> tuple[dict[str, Any], str | None]:
    """The prediction columns (an array per customer, or a value that repeats on every row)
    and why the models give no prediction (None when they do), computed `chunk_rows` customers
    at a time (None: all at once). Data the models could not be fitted on (no repeat buyer, too
    few spenders) leaves their columns null and says why in model_fit_message, rather than
    failing the build."""
    check_model(model, as_of_date, config.fit)
    x, t_x, T, m = (summary[column].to_numpy() for column in SUMMARY_COLUMNS)  # noqa: N806
    columns: dict[str, Any] = {
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
        "_model_version": model.model_version,
        "model_as_of_date": pd.Timestamp(model.as_of_date),
    }
    bgnbd = model.bgnbd
    if bgnbd is None:
        return columns, str(model.fit_message)
    horizon = config.horizon_months * DAYS_PER_MONTH / config.time_unit_days
    alive = _by_chunks(
        lambda rows: probability_alive(bgnbd, x[rows], t_x[rows], T[rows]), len(x), chunk_rows
    )
    purchases = _by_chunks(
        lambda rows: expected_purchases(bgnbd, horizon, x[rows], t_x[rows], T[rows]),
        len(x),
        chunk_rows,
    )
    if not (np.isfinite(alive).all() and np.isfinite(purchases).all()):
        return columns, (
            "BG/NBD and Gamma-Gamma not fitted: the BG/NBD fit is degenerate (r "
            f"{bgnbd.r:.3g}, alpha {bgnbd.alpha:.3g}, a {bgnbd.a:.3g}, b {bgnbd.b:.3g}) and "
            "gives no finite prediction"
        )
    columns.update(
        probability_alive=alive,
        expected_purchases=purchases,
        is_likely_churned=alive < config.churn_probability_alive_threshold,
        bgnbd_r=bgnbd.r,
        bgnbd_alpha=bgnbd.alpha,
        bgnbd_a=bgnbd.a,
        bgnbd_b=bgnbd.b,
        bgnbd_log_likelihood=bgnbd.log_likelihood,
    )
    gamma_gamma = model.gamma_gamma
    if gamma_gamma is None:
        return columns, str(model.fit_message)
    clv = _by_chunks(
        lambda rows: customer_lifetime_value(
            bgnbd,
            gamma_gamma,
            x[rows],
            t_x[rows],
            T[rows],
            m[rows],
            config.horizon_months,
            config.monthly_discount_rate,
            config.time_unit_days,
        ),
        len(x),
        chunk_rows,
    )
    if not np.isfinite(clv).all():
        return columns, "Gamma-Gamma not fitted (no spend prediction): it gives no finite value"
    columns.update(
        expected_average_spend=expected_average_spend(gamma_gamma, x, m),
        predicted_clv=clv,
        gamma_gamma_p=gamma_gamma.p,
        gamma_gamma_q=gamma_gamma.q,
        gamma_gamma_v=gamma_gamma.gamma,
        gamma_gamma_customer_count=gamma_gamma.n_customers,
    )
    return columns, None


def _by_chunks(
    compute: Callable[[slice], np.ndarray], count: int, chunk_rows: int | None
) -> np.ndarray:
    """compute(rows) over consecutive slices of `chunk_rows` customers, joined (one call when
    None): each prediction is per customer, so the values are those of one call, with only a
    chunk's temporaries in memory."""
    if chunk_rows is None or count <= chunk_rows:
        return compute(slice(None))
    return np.concatenate(
        [compute(slice(start, start + chunk_rows)) for start in range(0, count, chunk_rows)]
    )


def _prediction_frame(columns: dict[str, Any], message: str | None, rows: slice) -> pd.DataFrame:
    """The prediction rows `rows`: every column of PREDICTION_COLUMNS, those the models gave no
    value for null, and the message."""
    frame = pd.DataFrame(
        {
            name: value[rows] if isinstance(value, np.ndarray) else value
            for name, value in columns.items()
        }
    ).assign(model_fit_message=message)
    return frame.reindex(columns=list(PREDICTION_COLUMNS)).astype(PREDICTION_COLUMNS)


def score_with_stored_model(
    transactions: pd.DataFrame | duckdb.DuckDBPyRelation,
    as_of_date: date,
    config: ClvConfig,
    models: pd.DataFrame | None,
    customer_column: str = "customer_id",
    date_column: str = "order_date",
    amount_column: str = "net_amount",
) -> pd.DataFrame:
    """Summarize the window ending at `as_of_date` and score every customer with the stored
    fit select_model picks (ClvModelError if it may not be used: check_model)."""
    summary, model = _summary_for_stored_model(
        transactions, as_of_date, config, models, customer_column, date_column, amount_column
    )
    return score_customer_lifetime_values(summary, as_of_date, config, model, customer_column)


def score_with_stored_model_in_batches(
    transactions: pd.DataFrame | duckdb.DuckDBPyRelation,
    as_of_date: date,
    config: ClvConfig,
    models: pd.DataFrame | None,
    batch_rows: int,
    customer_column: str = "customer_id",
    date_column: str = "order_date",
    amount_column: str = "net_amount",
) -> Iterator[pd.DataFrame]:
    """score_with_stored_model's rows, `batch_rows` at a time: what the warehouse stores at
    millions of customers without one frame of them all."""
    summary, model = _summary_for_stored_model(
        transactions, as_of_date, config, models, customer_column, date_column, amount_column
    )
    return score_customer_lifetime_values_in_batches(
        summary, as_of_date, config, model, batch_rows, customer_column
    )


def _summary_for_stored_model(
    transactions: pd.DataFrame | duckdb.DuckDBPyRelation,
    as_of_date: date,
    config: ClvConfig,
    models: pd.DataFrame | None,
    customer_column: str,
    date_column: str,
    amount_column: str,
) -> tuple[pd.DataFrame, LifetimeValueModel]:
    """The stored fit to score with (checked before anything is summarized) and the summary."""
    model = check_model(select_model(models, as_of_date), as_of_date, config.fit)
    summary = summarize_transactions(
        transactions,
        customer_column,
        date_column,
        amount_column,
        as_of_date,
        config.time_unit_days,
        config.calibration_start_date,
    )
    return summary, model


def predict_customer_lifetime_values(
    transactions: pd.DataFrame | duckdb.DuckDBPyRelation,
    as_of_date: date,
    config: ClvConfig,
    customer_column: str = "customer_id",
    date_column: str = "order_date",
    amount_column: str = "net_amount",
    fitted_at: datetime | None = None,
) -> pd.DataFrame:
    """Summarize, fit both models on the window ending at `as_of_date`, predict per customer:
    what a build that fits does (fit_if_due, then score_with_stored_model), in one call.

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
    model = fit_lifetime_value_model(
        summary,
        as_of_date,
        config.fit,
        "no_model",
        fitted_at or datetime.now(UTC).replace(tzinfo=None),
    )
    return score_customer_lifetime_values(summary, as_of_date, config, model, customer_column)
