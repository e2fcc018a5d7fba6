"""Behavioural personas planted in the synthetic retailer.

Each persona is a set of distribution parameters; the generator draws every customer's
behaviour from their persona's parameters plus per-customer noise. The persona itself is only
ever written to the ground-truth file, never to the raw tables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    name: str
    share: float
    # Activity window, as days relative to the data's first and last day.
    signup_window: tuple[str, int, int]  # (anchor "start"|"end", from offset, to offset)
    active_days_after_signup: tuple[int, int] | None  # None: active until the end of the data
    orders_per_year: float
    minimum_orders: int
    maximum_orders: int | None
    # Still-active personas bought at least once in this many final days; None: no constraint.
    last_order_within_days: int | None
    price_tier: tuple[float, float]  # beta(a, b) over price rank within a category
    extra_lines_per_order: float  # poisson mean, on top of the first line
    discount_probability: float
    return_probability: float
    channel_weights: tuple[float, float, float]  # web, app, store
    email_open_probability: float
    email_click_probability: float  # given an open
    browse_sessions_per_year: float
    survey_probability: float
    nps_mean: float
    loyalty_probability: float


PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="high_value_loyal",
        share=0.12,
        signup_window=("start", 0, 300),
        active_days_after_signup=None,
        orders_per_year=13.0,
        minimum_orders=6,
        maximum_orders=None,
        last_order_within_days=None,
        price_tier=(5.0, 2.0),
        extra_lines_per_order=1.3,
        discount_probability=0.05,
        return_probability=0.03,
        channel_weights=(0.35, 0.45, 0.20),
        email_open_probability=0.45,
        email_click_probability=0.30,
        browse_sessions_per_year=8.0,
        survey_probability=0.45,
        nps_mean=9.0,
        loyalty_probability=0.85,
    ),
    Persona(
        name="discount_seeker",
        share=0.20,
        signup_window=("start", 0, 450),
        active_days_after_signup=None,
        orders_per_year=6.0,
        minimum_orders=3,
        maximum_orders=None,
        last_order_within_days=None,
        price_tier=(1.5, 5.0),
        extra_lines_per_order=0.6,
        discount_probability=0.85,
        return_probability=0.10,
        channel_weights=(0.55, 0.40, 0.05),
        email_open_probability=0.55,
        email_click_probability=0.40,
        browse_sessions_per_year=10.0,
        survey_probability=0.25,
        nps_mean=6.5,
        loyalty_probability=0.40,
    ),
    Persona(
        name="occasional",
        share=0.33,
        signup_window=("start", 0, 500),
        active_days_after_signup=None,
        orders_per_year=1.3,
        minimum_orders=1,
        maximum_orders=4,
        last_order_within_days=180,
        price_tier=(3.0, 3.0),
        extra_lines_per_order=0.5,
        discount_probability=0.10,
        return_probability=0.06,
        channel_weights=(0.40, 0.15, 0.45),
        email_open_probability=0.18,
        email_click_probability=0.15,
        browse_sessions_per_year=2.0,
        survey_probability=0.15,
        nps_mean=7.0,
        loyalty_probability=0.10,
    ),
    Persona(
        name="lapsed",
        share=0.20,
        signup_window=("start", 0, 240),
        active_days_after_signup=(90, 200),
        orders_per_year=5.0,
        minimum_orders=2,
        maximum_orders=None,
        last_order_within_days=None,
        price_tier=(3.0, 3.0),
        extra_lines_per_order=0.6,
        discount_probability=0.20,
        return_probability=0.22,
        channel_weights=(0.50, 0.20, 0.30),
        email_open_probability=0.05,
        email_click_probability=0.10,
        browse_sessions_per_year=1.5,
        survey_probability=0.20,
        nps_mean=4.5,
        loyalty_probability=0.15,
    ),
    Persona(
        name="new_customer",
        share=0.15,
        signup_window=("end", -75, -1),
        active_days_after_signup=None,
        orders_per_year=8.0,
        minimum_orders=1,
        maximum_orders=3,
        last_order_within_days=None,
        price_tier=(3.0, 3.0),
        extra_lines_per_order=0.6,
        discount_probability=0.35,
        return_probability=0.05,
        channel_weights=(0.45, 0.40, 0.15),
        email_open_probability=0.40,
        email_click_probability=0.25,
        browse_sessions_per_year=10.0,
        survey_probability=0.10,
        nps_mean=7.5,
        loyalty_probability=0.20,
    ),
)

PERSONA_NAMES: tuple[str, ...] = tuple(persona.name for persona in PERSONAS)
