"""Synthetic retailer: deterministic raw Parquet files for the warehouse's `shop` source.

    python -m segwarehouse.tools.generate --customers 10000 --seed 42 --output-dir data/demo

writes `<output-dir>/raw/<table>.parquet` (what dbt reads) and
`<output-dir>/ground_truth/customer_personas.parquet` (the planted persona of each customer,
kept apart so no model can read it by accident).

Customers are generated in blocks of `block_customers` (default 250,000) and each block is
appended to the Parquet files as it is made, so peak memory follows the block size, not the
number of customers: 10M customers (~100M order lines) peak at the same ~1.3 GB as 1M.

Within a block everything is drawn from one seeded numpy Generator in a fixed order and
vectorised, so the same seed gives identical tables. The first block draws from
`default_rng(seed)` exactly as the generator did before it had blocks, so any size up to one
block gives the same data as then (the demo's and the tests' 10,000 customers); block k > 0
draws from its own stream, `default_rng(SeedSequence(seed, spawn_key=(k,)))`. Products and
campaigns are drawn once, in the first block, and written once; every id of the per-customer
tables continues from the previous block's last, so ids stay unique and follow time within a
block (and so within each customer, whose rows all belong to one block).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from segwarehouse.tools.personas import PERSONA_NAMES, PERSONAS

RAW_TABLES: tuple[str, ...] = (
    "customers",
    "products",
    "orders",
    "order_lines",
    "campaigns",
    "campaign_sends",
    "email_events",
    "web_sessions",
    "experiment_assignments",
    "survey_responses",
)

# Drawn once, in the first block, and written once; every other table is per customer.
GLOBAL_TABLES: tuple[str, ...] = ("products", "campaigns")
PER_CUSTOMER_TABLES: tuple[str, ...] = tuple(t for t in RAW_TABLES if t not in GLOBAL_TABLES)
GROUND_TRUTH = "customer_personas"

# Customers per block. Peak RSS follows it (0.25 GB + ~4 kB a customer): 250,000 peak at about
# 1.3 GB for 1M or 10M customers (1M in one block: 4.4 GB); see docs/benchmark.md. Any size up
# to one block is one block, so the demo, the tests and the bench's 100,000 keep their data.
DEFAULT_BLOCK_CUSTOMERS = 250_000

SECONDS_PER_DAY = 86_400

CATEGORIES: tuple[str, ...] = (
    "apparel",
    "footwear",
    "beauty",
    "home",
    "electronics",
    "sports",
    "toys",
    "grocery",
)
# (log-mean price, log-sd, popularity weight) per category
CATEGORY_PRICES: dict[str, tuple[float, float, float]] = {
    "apparel": (3.4, 0.5, 0.22),
    "footwear": (4.1, 0.4, 0.10),
    "beauty": (2.9, 0.5, 0.14),
    "home": (3.6, 0.7, 0.14),
    "electronics": (4.8, 0.8, 0.08),
    "sports": (3.7, 0.6, 0.10),
    "toys": (3.1, 0.5, 0.08),
    "grocery": (2.1, 0.4, 0.14),
}
DISCOUNT_CODES: tuple[tuple[str, float], ...] = (
    ("WELCOME10", 0.10),
    ("SAVE15", 0.15),
    ("FLASH20", 0.20),
    ("VIP25", 0.25),
    ("BUNDLE30", 0.30),
)
CHANNELS: tuple[str, ...] = ("web", "app", "store")
ACQUISITION_CHANNELS: tuple[tuple[str, float], ...] = (
    ("organic_search", 0.28),
    ("paid_search", 0.20),
    ("social", 0.17),
    ("referral", 0.10),
    ("email", 0.07),
    ("affiliate", 0.08),
    ("store", 0.10),
)
GENDERS: tuple[tuple[str, float], ...] = (
    ("female", 0.49),
    ("male", 0.46),
    ("non_binary", 0.02),
    ("undisclosed", 0.03),
)
# (country, region, city, weight)
GEOGRAPHY: tuple[tuple[str, str, str, float], ...] = (
    ("United States", "Northeast", "New York", 0.08),
    ("United States", "Northeast", "Boston", 0.03),
    ("United States", "South", "Atlanta", 0.04),
    ("United States", "South", "Houston", 0.04),
    ("United States", "Midwest", "Chicago", 0.05),
    ("United States", "West", "Los Angeles", 0.06),
    ("United States", "West", "Seattle", 0.03),
    ("United Kingdom", "England", "London", 0.09),
    ("United Kingdom", "England", "Manchester", 0.04),
    ("United Kingdom", "Scotland", "Edinburgh", 0.03),
    ("Germany", "Bavaria", "Munich", 0.04),
    ("Germany", "Berlin", "Berlin", 0.05),
    ("Germany", "North Rhine-Westphalia", "Cologne", 0.03),
    ("France", "Ile-de-France", "Paris", 0.06),
    ("France", "Auvergne-Rhone-Alpes", "Lyon", 0.03),
    ("Spain", "Community of Madrid", "Madrid", 0.04),
    ("Spain", "Catalonia", "Barcelona", 0.04),
    ("Italy", "Lombardy", "Milan", 0.04),
    ("Netherlands", "North Holland", "Amsterdam", 0.04),
    ("Canada", "Ontario", "Toronto", 0.05),
    ("Canada", "British Columbia", "Vancouver", 0.03),
    ("Australia", "New South Wales", "Sydney", 0.03),
    ("Australia", "Victoria", "Melbourne", 0.03),
)
FIRST_NAMES: tuple[str, ...] = (
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Mia", "Lucas",
    "Ava", "Mateo", "Isla", "Leo", "Chloe", "Hugo", "Lena", "Finn", "Clara", "Jonas",
    "Zoe", "Ethan", "Nora", "Arjun", "Yuki", "Omar", "Sara", "Luca", "Ines", "Mila",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Martin", "Muller", "Schmidt",
    "Dubois", "Rossi", "Jansen", "Silva", "Nguyen", "Kim", "Patel", "Wilson", "Taylor",
    "Moreau", "Fischer", "Lopez", "Bianchi", "Visser", "Walker", "Young", "King", "Wright",
)  # fmt: skip
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "mail.example.org", "inbox.example.net")
CAMPAIGN_THEMES: tuple[str, ...] = (
    "New arrivals",
    "Weekend sale",
    "Loyalty rewards",
    "Win-back",
    "Seasonal picks",
    "Free shipping",
)
CAMPAIGN_CHANNELS: tuple[tuple[str, float, float], ...] = (
    # channel, probability, cost per contact
    ("email", 0.70, 0.02),
    ("sms", 0.15, 0.08),
    ("push", 0.15, 0.01),
)
EXPERIMENTS: tuple[tuple[str, int], ...] = (
    # experiment, start day counted back from the last day
    ("checkout_redesign", 300),
    ("free_shipping_banner", 180),
    ("recommendation_widget", 60),
)
EXPERIMENT_DAYS = 30


@dataclass(frozen=True)
class GeneratorConfig:
    n_customers: int
    seed: int
    start_date: date = date(2024, 1, 1)
    end_date: date = date(2025, 12, 31)
    n_products: int = 600
    block_customers: int = DEFAULT_BLOCK_CUSTOMERS

    def __post_init__(self) -> None:
        if self.n_customers < 1:
            raise ValueError(f"n_customers must be at least 1, got {self.n_customers}")
        if self.block_customers < 1:
            raise ValueError(f"block_customers must be at least 1, got {self.block_customers}")
        if self.end_date <= self.start_date:
            raise ValueError(
                f"end_date ({self.end_date}) must be after start_date ({self.start_date})"
            )
        if self.n_products < len(CATEGORIES):
            raise ValueError(f"n_products must be at least {len(CATEGORIES)}")

    @property
    def n_days(self) -> int:
        return (self.end_date - self.start_date).days + 1


Tables = dict[str, pa.Table]


@dataclass(frozen=True)
class _Campaigns:
    """The campaigns table and the draws every block's sends are made from."""

    table: pa.Table
    start_days: np.ndarray
    channel: np.ndarray
    audience_share: np.ndarray


@dataclass(frozen=True)
class _Catalogue:
    """What the first block draws once and every later block reuses."""

    products: pa.Table
    category_offsets: np.ndarray
    product_price: np.ndarray
    campaigns: _Campaigns


def _dictionary(codes: np.ndarray, values: tuple[str, ...] | list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(list(values), pa.string())
    )


def _choice(rng: np.random.Generator, weighted: tuple[tuple, ...], size: int) -> np.ndarray:
    weights = np.array([row[-1] for row in weighted], dtype=float)
    return rng.choice(len(weighted), size=size, p=weights / weights.sum())


def _seasonal_weights(config: GeneratorConfig) -> np.ndarray:
    """Daily purchase intensity: slow growth, weekends, and a November-December peak."""
    days = np.arange(config.n_days)
    calendar = np.datetime64(config.start_date) + days
    day_of_year = (calendar - calendar.astype("datetime64[Y]")).astype(int)
    weekday = (calendar.astype("datetime64[D]").astype(int) + 3) % 7  # 0 = Monday
    holiday_peak = 1.2 * np.exp(-(((day_of_year - 335) / 18.0) ** 2))
    summer_dip = -0.15 * np.exp(-(((day_of_year - 210) / 30.0) ** 2))
    weekend = np.where(weekday >= 5, 0.15, 0.0)
    growth = 0.25 * days / config.n_days
    return 1.0 + holiday_peak + summer_dip + weekend + growth


def _sample_days(
    rng: np.random.Generator, cumulative: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Draw one day per row in [first, last] with probability proportional to the intensity."""
    lower = np.where(first > 0, cumulative[np.maximum(first - 1, 0)], 0.0)
    upper = cumulative[last]
    target = lower + rng.random(first.shape[0]) * (upper - lower)
    days = np.searchsorted(cumulative, target, side="left")
    return np.clip(days, first, last)


def _timestamps(start: date, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    base = np.datetime64(start, "s")
    return base + day.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")


def _persona_array(attribute: str) -> np.ndarray:
    return np.array([getattr(persona, attribute) for persona in PERSONAS], dtype=float)


def _ids(offsets: Mapping[str, int], table: str, count: int) -> np.ndarray:
    """Ids of a block's rows of `table`: they continue from the previous blocks' rows."""
    first = offsets.get(table, 0) + 1
    return np.arange(first, first + count, dtype=np.int64)


def _block_rng(seed: int, block: int) -> np.random.Generator:
    """The first block draws from `default_rng(seed)`, as before blocks; block k > 0 from
    the seed's k-th spawned child (SeedSequence(seed).spawn(k + 1)[k]), independent of it."""
    if block == 0:
        return np.random.default_rng(seed)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))


def generate_blocks(config: GeneratorConfig) -> Iterator[tuple[Tables, pa.Table]]:
    """Yield each block's raw tables and ground truth, in order, one block in memory at a time.

    The first block's tables include products and campaigns; later blocks hold only the
    per-customer tables (PER_CUSTOMER_TABLES), whose ids continue from the previous block's.
    """
    offsets = dict.fromkeys(PER_CUSTOMER_TABLES, 0)
    catalogue: _Catalogue | None = None
    for block, first in enumerate(range(0, config.n_customers, config.block_customers)):
        size = min(config.block_customers, config.n_customers - first)
        rng = _block_rng(config.seed, block)
        tables, truth, catalogue = _generate_block(config, rng, size, offsets, catalogue)
        if block > 0:
            tables = {name: tables[name] for name in PER_CUSTOMER_TABLES}
        for name in PER_CUSTOMER_TABLES:
            offsets[name] += tables[name].num_rows
        yield tables, truth
        # Let the block go before the next one is drawn, or two blocks would be in memory.
        del tables, truth


def generate(config: GeneratorConfig) -> tuple[Tables, pa.Table]:
    """Return the raw tables and the ground-truth persona table for one synthetic retailer.

    All of it in memory: use `write_blocks` for sizes beyond a few blocks. Up to one block this
    is the data the generator made before it had blocks; above, the blocks concatenated.
    """
    blocks = list(generate_blocks(config))
    if len(blocks) == 1:
        return blocks[0]
    tables = {
        name: pa.concat_tables(block[name] for block, _ in blocks if name in block)
        for name in RAW_TABLES
    }
    return tables, pa.concat_tables(truth for _, truth in blocks)


def _generate_block(
    config: GeneratorConfig,
    rng: np.random.Generator,
    n: int,
    offsets: Mapping[str, int],
    catalogue: _Catalogue | None,
) -> tuple[Tables, pa.Table, _Catalogue]:
    """One block of `n` customers, ids after `offsets` (rows of each table before this block).

    Without a catalogue the block draws products and campaigns from `rng` where the generator
    always drew them (the first block); with one it reuses them and skips those draws.
    """
    last_day = config.n_days - 1
    cumulative = np.cumsum(_seasonal_weights(config))

    # Customers --------------------------------------------------------------------------
    shares = _persona_array("share")
    persona = rng.choice(len(PERSONAS), size=n, p=shares / shares.sum())
    window_low = np.empty(n, dtype=np.int64)
    window_high = np.empty(n, dtype=np.int64)
    active_low = np.zeros(n, dtype=np.int64)
    active_high = np.zeros(n, dtype=np.int64)
    for index, spec in enumerate(PERSONAS):
        anchor, low, high = spec.signup_window
        base = 0 if anchor == "start" else last_day
        window_low[persona == index] = base + low
        window_high[persona == index] = base + high
        if spec.active_days_after_signup is not None:
            active_low[persona == index], active_high[persona == index] = (
                spec.active_days_after_signup
            )
    window_low = np.clip(window_low, 0, last_day)
    window_high = np.clip(window_high, window_low, last_day)
    signup_day = rng.integers(window_low, window_high + 1)
    is_churning = np.array([p.active_days_after_signup is not None for p in PERSONAS])[persona]
    active_span = rng.integers(active_low, active_high + 1)
    active_until = np.where(is_churning, np.minimum(signup_day + active_span, last_day), last_day)

    # Per-customer heterogeneity: heavy-tailed purchase rate and engagement.
    rate_multiplier = rng.gamma(shape=2.0, scale=0.5, size=n)
    engagement = rng.gamma(shape=4.0, scale=0.25, size=n)
    tier_a, tier_b = (
        np.array([p.price_tier[0] for p in PERSONAS])[persona],
        np.array([p.price_tier[1] for p in PERSONAS])[persona],
    )
    price_tier = rng.beta(tier_a, tier_b)
    category_weights = np.array([CATEGORY_PRICES[c][2] for c in CATEGORIES])
    favourite_category = rng.choice(
        len(CATEGORIES), size=n, p=category_weights / category_weights.sum()
    )

    gender = _choice(rng, GENDERS, n)
    geography = _choice(rng, GEOGRAPHY, n)
    acquisition = _choice(rng, ACQUISITION_CHANNELS, n)
    loyalty = rng.random(n) < _persona_array("loyalty_probability")[persona]
    age_at_end = np.clip(rng.normal(40.0, 13.0, n), 18.0, 85.0)
    birth_day_offset = (age_at_end * 365.25 + rng.uniform(0, 365, n)).astype(np.int64)
    birth_date = np.datetime64(config.end_date, "D") - birth_day_offset.astype("timedelta64[D]")
    birth_date_known = rng.random(n) >= 0.05
    first_name = rng.integers(0, len(FIRST_NAMES), n)
    last_name = rng.integers(0, len(LAST_NAMES), n)
    domain = rng.integers(0, len(EMAIL_DOMAINS), n)
    phone_digits = rng.integers(0, 10_000_000, n)
    customer_id = _ids(offsets, "customers", n)
    signup_date = np.datetime64(config.start_date, "D") + signup_day.astype("timedelta64[D]")

    first_names = np.array(FIRST_NAMES, dtype=object)[first_name]
    last_names = np.array(LAST_NAMES, dtype=object)[last_name]
    domains = np.array(EMAIL_DOMAINS, dtype=object)[domain]
    emails = [
        f"{first.lower()}.{last.lower()}.{cid}@{dom}"
        for first, last, cid, dom in zip(first_names, last_names, customer_id, domains, strict=True)
    ]
    phones = [f"+1-555-{digits // 10_000:03d}-{digits % 10_000:04d}" for digits in phone_digits]
    customers = pa.table(
        {
            "id": customer_id,
            "first_name": pa.array(first_names, pa.string()),
            "last_name": pa.array(last_names, pa.string()),
            "email": pa.array(emails, pa.string()),
            "phone": pa.array(phones, pa.string()),
            "birth_date": pa.array(birth_date, pa.date32(), mask=~birth_date_known),
            "gender": _dictionary(gender, [g[0] for g in GENDERS]),
            "country": pa.array([GEOGRAPHY[i][0] for i in geography], pa.string()),
            "region": pa.array([GEOGRAPHY[i][1] for i in geography], pa.string()),
            "city": pa.array([GEOGRAPHY[i][2] for i in geography], pa.string()),
            "signup_date": pa.array(signup_date, pa.date32()),
            "acquisition_channel": _dictionary(acquisition, [a[0] for a in ACQUISITION_CHANNELS]),
            "is_loyalty_member": pa.array(loyalty),
        }
    )
    ground_truth = pa.table(
        {"customer_id": customer_id, "persona": _dictionary(persona, PERSONA_NAMES)}
    )

    # Products ---------------------------------------------------------------------------
    if catalogue is None:
        products, category_offsets, product_price = _products(rng, config)
    else:
        products = catalogue.products
        category_offsets, product_price = catalogue.category_offsets, catalogue.product_price

    # Orders -----------------------------------------------------------------------------
    active_years = (active_until - signup_day + 1) / 365.25
    expected_orders = _persona_array("orders_per_year")[persona] * rate_multiplier * active_years
    order_count = rng.poisson(expected_orders)
    minimum = _persona_array("minimum_orders")[persona].astype(np.int64)
    maximum = np.array(
        [p.maximum_orders if p.maximum_orders is not None else 10_000 for p in PERSONAS]
    )[persona]
    order_count = np.clip(order_count, minimum, maximum)
    order_customer = np.repeat(np.arange(n), order_count)
    n_orders = order_customer.shape[0]
    order_day = _sample_days(
        rng, cumulative, signup_day[order_customer], active_until[order_customer]
    )
    # Rows of each customer's block; only customers with orders own a first and last row.
    block_end = np.cumsum(order_count)
    has_orders = order_count > 0
    first_order_row = (block_end - order_count)[has_orders]
    last_order_row = (block_end - 1)[has_orders]
    # Each customer's first order comes within days of signing up.
    first_lag = rng.geometric(0.5, n) - 1
    order_day[first_order_row] = np.minimum(signup_day + first_lag, active_until)[has_orders]
    # Personas that are still active bought recently: their last drawn order moves into the
    # window (for a one-order customer that order is also the first, and recency wins).
    recent_window = np.array([p.last_order_within_days or 0 for p in PERSONAS], dtype=np.int64)[
        persona
    ]
    recent_day = rng.integers(np.maximum(signup_day, last_day - recent_window), last_day + 1)
    needs_recent = (recent_window > 0)[has_orders] & (
        order_day[last_order_row] < (last_day - recent_window)[has_orders]
    )
    order_day[last_order_row[needs_recent]] = recent_day[has_orders][needs_recent]
    order_second = rng.integers(7 * 3600, 23 * 3600, n_orders)
    order_persona = persona[order_customer]

    # Order ids follow time, as in a real system.
    order_sort = np.lexsort((order_customer, order_second, order_day))
    order_customer = order_customer[order_sort]
    order_day = order_day[order_sort]
    order_second = order_second[order_sort]
    order_persona = order_persona[order_sort]
    ordered_at = _timestamps(config.start_date, order_day, order_second)
    order_id = _ids(offsets, "orders", n_orders)

    channel_weights = np.array([p.channel_weights for p in PERSONAS])
    channel_cumulative = np.cumsum(channel_weights / channel_weights.sum(1, keepdims=True), 1)
    order_channel = (rng.random(n_orders)[:, None] > channel_cumulative[order_persona]).sum(1)
    order_channel = np.minimum(order_channel, len(CHANNELS) - 1)
    has_discount = rng.random(n_orders) < _persona_array("discount_probability")[order_persona]
    discount_code = rng.integers(0, len(DISCOUNT_CODES), n_orders)
    discount_rate = np.where(
        has_discount, np.array([code[1] for code in DISCOUNT_CODES])[discount_code], 0.0
    )
    is_cancelled = rng.random(n_orders) < 0.03
    is_returned = (~is_cancelled) & (
        rng.random(n_orders) < _persona_array("return_probability")[order_persona]
    )
    return_lag = rng.integers(3, 31, n_orders)
    return_second = rng.integers(8 * 3600, 20 * 3600, n_orders)
    returned_at = _timestamps(config.start_date, order_day + return_lag, return_second)
    # A return after the extract date has not happened yet.
    is_returned &= order_day + return_lag <= last_day
    status = np.where(is_cancelled, 2, np.where(is_returned, 1, 0))
    orders = pa.table(
        {
            "id": order_id,
            "customer_id": customer_id[order_customer],
            "ordered_at": pa.array(ordered_at, pa.timestamp("us")),
            "channel": _dictionary(order_channel, CHANNELS),
            "status": _dictionary(status, ("completed", "returned", "cancelled")),
            "discount_code": pa.DictionaryArray.from_arrays(
                pa.array(discount_code.astype(np.int32), mask=~has_discount),
                pa.array([code[0] for code in DISCOUNT_CODES]),
            ),
            "returned_at": pa.array(returned_at, pa.timestamp("us"), mask=~is_returned),
        }
    )

    # Order lines ------------------------------------------------------------------------
    extra_lines = rng.poisson(_persona_array("extra_lines_per_order")[order_persona])
    lines_per_order = 1 + extra_lines
    line_order = np.repeat(np.arange(n_orders), lines_per_order)
    n_lines = line_order.shape[0]
    line_customer = order_customer[line_order]
    is_favourite = rng.random(n_lines) < 0.55
    any_category = rng.choice(
        len(CATEGORIES), size=n_lines, p=category_weights / category_weights.sum()
    )
    line_category = np.where(is_favourite, favourite_category[line_customer], any_category)
    category_size = np.diff(category_offsets)
    rank = np.clip(price_tier[line_customer] + rng.normal(0.0, 0.15, n_lines), 0.0, 0.999)
    product_index = category_offsets[line_category] + (rank * category_size[line_category]).astype(
        np.int64
    )
    quantity = rng.geometric(0.72, n_lines)
    unit_price = product_price[product_index]
    line_discount = np.round(quantity * unit_price * discount_rate[line_order], 2)
    order_lines = pa.table(
        {
            "id": _ids(offsets, "order_lines", n_lines),
            "order_id": order_id[line_order],
            "product_id": product_index.astype(np.int64) + 1,
            "quantity": quantity.astype(np.int32),
            "unit_price": pa.array(unit_price, pa.float64()),
            "discount_amount": pa.array(line_discount, pa.float64()),
        }
    )

    # Campaigns, sends and email events --------------------------------------------------
    campaigns = _campaigns(rng, config) if catalogue is None else catalogue.campaigns
    sends, email_events = _sends_and_events(
        rng, config, campaigns, offsets, signup_day, persona, engagement, customer_id
    )

    # Web sessions -----------------------------------------------------------------------
    web_sessions = _web_sessions(
        rng,
        config,
        cumulative,
        persona,
        engagement,
        signup_day,
        active_until,
        customer_id,
        order_customer,
        order_channel,
        ordered_at,
        order_id,
        offsets,
    )

    # Experiments and surveys ------------------------------------------------------------
    experiment_assignments = _experiments(rng, config, offsets, signup_day, customer_id)
    survey_responses = _surveys(
        rng, config, offsets, persona, signup_day, active_until, customer_id
    )

    tables: Tables = {
        "customers": customers,
        "products": products,
        "orders": orders,
        "order_lines": order_lines,
        "campaigns": campaigns.table,
        "campaign_sends": sends,
        "email_events": email_events,
        "web_sessions": web_sessions,
        "experiment_assignments": experiment_assignments,
        "survey_responses": survey_responses,
    }
    if catalogue is None:
        catalogue = _Catalogue(products, category_offsets, product_price, campaigns)
    return tables, ground_truth, catalogue


def _products(
    rng: np.random.Generator, config: GeneratorConfig
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Products grouped by category and sorted by price, so a price rank picks a product."""
    weights = np.array([CATEGORY_PRICES[c][2] for c in CATEGORIES])
    per_category = np.maximum(1, np.round(weights / weights.sum() * config.n_products)).astype(int)
    offsets = np.concatenate([[0], np.cumsum(per_category)])
    categories = np.repeat(np.arange(len(CATEGORIES)), per_category)
    prices = np.empty(categories.shape[0])
    for index, category in enumerate(CATEGORIES):
        log_mean, log_sd, _ = CATEGORY_PRICES[category]
        drawn = np.sort(rng.lognormal(log_mean, log_sd, per_category[index]))
        prices[offsets[index] : offsets[index + 1]] = np.maximum(np.floor(drawn) + 0.99, 0.99)
    prices = np.round(prices, 2)
    n_brands = 40
    brand = rng.integers(0, n_brands, categories.shape[0])
    brand_names = [f"Brand {chr(65 + i % 26)}{i // 26 + 1}" for i in range(n_brands)]
    product_ids = np.arange(1, categories.shape[0] + 1, dtype=np.int64)
    names = [
        f"{brand_names[b]} {CATEGORIES[c]} item {pid}"
        for b, c, pid in zip(brand, categories, product_ids, strict=True)
    ]
    table = pa.table(
        {
            "id": product_ids,
            "name": pa.array(names, pa.string()),
            "category": _dictionary(categories, CATEGORIES),
            "brand": _dictionary(brand, brand_names),
            "list_price": pa.array(prices, pa.float64()),
        }
    )
    return table, offsets, prices


def _campaigns(rng: np.random.Generator, config: GeneratorConfig) -> _Campaigns:
    """One campaign every 20 days; its cost counts the whole audience (every block's)."""
    last_day = config.n_days - 1
    start_days = np.arange(10, last_day - 5, 20)
    n_campaigns = start_days.shape[0]
    channel = _choice(rng, tuple((c[0], c[1]) for c in CAMPAIGN_CHANNELS), n_campaigns)
    duration = rng.integers(7, 15, n_campaigns)
    audience_share = rng.uniform(0.10, 0.30, n_campaigns)
    theme = rng.integers(0, len(CAMPAIGN_THEMES), n_campaigns)
    start_dates = np.datetime64(config.start_date, "D") + start_days.astype("timedelta64[D]")
    end_dates = start_dates + duration.astype("timedelta64[D]")
    cost_per_contact = np.array([c[2] for c in CAMPAIGN_CHANNELS])[channel]
    audience_cost = audience_share * config.n_customers * cost_per_contact
    cost = np.round(rng.uniform(200, 2000, n_campaigns) + audience_cost, 2)
    campaign_id = np.arange(1, n_campaigns + 1, dtype=np.int64)
    names = [f"{CAMPAIGN_THEMES[t]} {str(d)[:7]}" for t, d in zip(theme, start_dates, strict=True)]
    table = pa.table(
        {
            "id": campaign_id,
            "name": pa.array(names, pa.string()),
            "channel": _dictionary(channel, [c[0] for c in CAMPAIGN_CHANNELS]),
            "start_date": pa.array(start_dates, pa.date32()),
            "end_date": pa.array(end_dates, pa.date32()),
            "cost": pa.array(cost, pa.float64()),
        }
    )
    return _Campaigns(table, start_days, channel, audience_share)


def _sends_and_events(
    rng: np.random.Generator,
    config: GeneratorConfig,
    campaigns: _Campaigns,
    offsets: Mapping[str, int],
    signup_day: np.ndarray,
    persona: np.ndarray,
    engagement: np.ndarray,
    customer_id: np.ndarray,
) -> tuple[pa.Table, pa.Table]:
    n = signup_day.shape[0]
    start_days, channel = campaigns.start_days, campaigns.channel
    audience_share = campaigns.audience_share
    campaign_id = campaigns.table.column("id").to_numpy()
    n_campaigns = start_days.shape[0]
    send_customer_parts = []
    send_campaign_parts = []
    for index in range(n_campaigns):
        chosen = (signup_day <= start_days[index]) & (rng.random(n) < audience_share[index])
        picked = np.flatnonzero(chosen)
        send_customer_parts.append(picked)
        send_campaign_parts.append(np.full(picked.shape[0], index))
    send_customer = np.concatenate(send_customer_parts)
    send_campaign = np.concatenate(send_campaign_parts)
    n_sends = send_customer.shape[0]
    sent_at = _timestamps(
        config.start_date, start_days[send_campaign], rng.integers(6 * 3600, 20 * 3600, n_sends)
    )
    send_id = _ids(offsets, "campaign_sends", n_sends)
    sends = pa.table(
        {
            "id": send_id,
            "campaign_id": campaign_id[send_campaign],
            "customer_id": customer_id[send_customer],
            "sent_at": pa.array(sent_at, pa.timestamp("us")),
        }
    )

    # Email events only exist for email campaigns.
    is_email = channel[send_campaign] == 0
    send_persona = persona[send_customer]
    open_probability = np.clip(
        _persona_array("email_open_probability")[send_persona] * engagement[send_customer], 0, 0.95
    )
    click_probability = np.clip(
        _persona_array("email_click_probability")[send_persona] * engagement[send_customer],
        0,
        0.9,
    )
    delivered = is_email & (rng.random(n_sends) < 0.97)
    opened = delivered & (rng.random(n_sends) < open_probability)
    clicked = opened & (rng.random(n_sends) < click_probability)
    unsubscribed = delivered & (rng.random(n_sends) < 0.003)
    delivered_at = sent_at + rng.integers(1, 300, n_sends).astype("timedelta64[s]")
    opened_at = delivered_at + rng.exponential(6 * 3600, n_sends).astype("timedelta64[s]")
    clicked_at = opened_at + rng.integers(5, 1800, n_sends).astype("timedelta64[s]")
    unsubscribed_at = delivered_at + rng.integers(60, 3 * SECONDS_PER_DAY, n_sends).astype(
        "timedelta64[s]"
    )
    event_type_parts = []
    event_send_parts = []
    event_at_parts = []
    for code, mask, at in (
        (0, delivered, delivered_at),
        (1, opened, opened_at),
        (2, clicked, clicked_at),
        (3, unsubscribed, unsubscribed_at),
    ):
        rows = np.flatnonzero(mask)
        event_type_parts.append(np.full(rows.shape[0], code))
        event_send_parts.append(rows)
        event_at_parts.append(at[rows])
    event_type = np.concatenate(event_type_parts)
    event_send = np.concatenate(event_send_parts)
    event_at = np.concatenate(event_at_parts)
    # Events after the extract date have not happened yet.
    extract_end = np.datetime64(config.end_date, "s") + np.timedelta64(SECONDS_PER_DAY - 1, "s")
    keep = event_at <= extract_end
    event_type, event_send, event_at = event_type[keep], event_send[keep], event_at[keep]
    order = np.lexsort((event_type, event_send, event_at))
    email_events = pa.table(
        {
            "id": _ids(offsets, "email_events", order.shape[0]),
            "campaign_send_id": send_id[event_send[order]],
            "event_type": _dictionary(
                event_type[order], ("delivered", "opened", "clicked", "unsubscribed")
            ),
            "occurred_at": pa.array(event_at[order], pa.timestamp("us")),
        }
    )
    return sends, email_events


def _web_sessions(
    rng: np.random.Generator,
    config: GeneratorConfig,
    cumulative: np.ndarray,
    persona: np.ndarray,
    engagement: np.ndarray,
    signup_day: np.ndarray,
    active_until: np.ndarray,
    customer_id: np.ndarray,
    order_customer: np.ndarray,
    order_channel: np.ndarray,
    ordered_at: np.ndarray,
    order_id: np.ndarray,
    offsets: Mapping[str, int],
) -> pa.Table:
    devices = ("desktop", "mobile", "tablet")
    # Every web or app order was placed in a session that converted.
    online = np.flatnonzero(order_channel < 2)
    n_converting = online.shape[0]
    converting_started = ordered_at[online] - rng.integers(120, 2400, n_converting).astype(
        "timedelta64[s]"
    )
    device_draw = rng.random(n_converting)
    converting_device = np.where(
        order_channel[online] == 1,
        np.where(device_draw < 0.85, 1, 2),
        np.where(device_draw < 0.6, 0, np.where(device_draw < 0.9, 1, 2)),
    )
    converting_pages = 3 + rng.poisson(5, n_converting)

    browse_rate = np.array([p.browse_sessions_per_year for p in PERSONAS])[persona] * engagement
    years = (active_until - signup_day + 1) / 365.25
    browse_count = rng.poisson(browse_rate * years)
    browse_customer = np.repeat(np.arange(persona.shape[0]), browse_count)
    n_browse = browse_customer.shape[0]
    browse_day = _sample_days(
        rng, cumulative, signup_day[browse_customer], active_until[browse_customer]
    )
    browse_started = _timestamps(
        config.start_date, browse_day, rng.integers(6 * 3600, 24 * 3600, n_browse)
    )
    browse_device = rng.choice(3, size=n_browse, p=[0.45, 0.45, 0.10])
    browse_pages = 1 + rng.poisson(3, n_browse)

    started_at = np.concatenate([converting_started, browse_started])
    session_customer = np.concatenate([order_customer[online], browse_customer])
    device = np.concatenate([converting_device, browse_device])
    pages = np.concatenate([converting_pages, browse_pages])
    converted_order = np.concatenate([order_id[online], np.zeros(n_browse, dtype=np.int64)])
    order = np.lexsort((session_customer, started_at))
    converted_sorted = converted_order[order]
    return pa.table(
        {
            "id": _ids(offsets, "web_sessions", order.shape[0]),
            "customer_id": customer_id[session_customer[order]],
            "started_at": pa.array(started_at[order], pa.timestamp("us")),
            "device": _dictionary(device[order], devices),
            "pages_viewed": pages[order].astype(np.int32),
            "converted_order_id": pa.array(converted_sorted, mask=converted_sorted == 0),
        }
    )


def _experiments(
    rng: np.random.Generator,
    config: GeneratorConfig,
    offsets: Mapping[str, int],
    signup_day: np.ndarray,
    customer_id: np.ndarray,
) -> pa.Table:
    last_day = config.n_days - 1
    experiment_parts, customer_parts, variant_parts, day_parts = [], [], [], []
    for index, (_, days_back) in enumerate(EXPERIMENTS):
        start = last_day - days_back
        eligible = (signup_day <= start + EXPERIMENT_DAYS) & (rng.random(signup_day.shape[0]) < 0.4)
        picked = np.flatnonzero(eligible)
        first_day = np.maximum(signup_day[picked], start)
        day_parts.append(rng.integers(first_day, start + EXPERIMENT_DAYS + 1))
        experiment_parts.append(np.full(picked.shape[0], index))
        customer_parts.append(picked)
        variant_parts.append(rng.integers(0, 2, picked.shape[0]))
    day = np.concatenate(day_parts)
    assigned_at = _timestamps(config.start_date, day, rng.integers(0, SECONDS_PER_DAY, day.size))
    return pa.table(
        {
            "id": _ids(offsets, "experiment_assignments", day.shape[0]),
            "experiment_name": _dictionary(
                np.concatenate(experiment_parts), [e[0] for e in EXPERIMENTS]
            ),
            "customer_id": customer_id[np.concatenate(customer_parts)],
            "variant": _dictionary(np.concatenate(variant_parts), ("control", "treatment")),
            "assigned_at": pa.array(assigned_at, pa.timestamp("us")),
        }
    )


def _surveys(
    rng: np.random.Generator,
    config: GeneratorConfig,
    offsets: Mapping[str, int],
    persona: np.ndarray,
    signup_day: np.ndarray,
    active_until: np.ndarray,
    customer_id: np.ndarray,
) -> pa.Table:
    n = persona.shape[0]
    responds = rng.random(n) < _persona_array("survey_probability")[persona]
    response_count = np.where(responds, 1 + (rng.random(n) < 0.3), 0)
    respondent = np.repeat(np.arange(n), response_count)
    day = rng.integers(signup_day[respondent], active_until[respondent] + 1)
    responded_at = _timestamps(
        config.start_date, day, rng.integers(0, SECONDS_PER_DAY, respondent.size)
    )
    nps_mean = _persona_array("nps_mean")[persona[respondent]]
    nps = np.clip(np.round(rng.normal(nps_mean, 1.6)), 0, 10).astype(np.int32)
    satisfaction = np.clip(np.round(1 + nps / 2.5 + rng.normal(0, 0.6, nps.size)), 1, 5)
    order = np.lexsort((respondent, responded_at))
    return pa.table(
        {
            "id": _ids(offsets, "survey_responses", order.shape[0]),
            "customer_id": customer_id[respondent[order]],
            "responded_at": pa.array(responded_at[order], pa.timestamp("us")),
            "nps_score": nps[order],
            "satisfaction_score": satisfaction[order].astype(np.int32),
        }
    )


def write(tables: Tables, ground_truth: pa.Table, output_dir: Path) -> None:
    """Write each raw table to `raw/<name>.parquet` and the personas to `ground_truth/`."""
    raw_dir = output_dir / "raw"
    truth_dir = output_dir / "ground_truth"
    raw_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, raw_dir / f"{name}.parquet", compression="zstd")
    pq.write_table(ground_truth, truth_dir / "customer_personas.parquet", compression="zstd")


def write_blocks(config: GeneratorConfig, output_dir: Path) -> dict[str, int]:
    """Generate block by block, appending each block to the files `write` makes; return the
    row count of each raw table. Only one block is in memory at a time."""
    paths = {name: output_dir / "raw" / f"{name}.parquet" for name in RAW_TABLES}
    paths[GROUND_TRUTH] = output_dir / "ground_truth" / f"{GROUND_TRUTH}.parquet"
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    counts = dict.fromkeys(RAW_TABLES, 0)
    try:
        for tables, ground_truth in generate_blocks(config):
            for name, table in [*tables.items(), (GROUND_TRUTH, ground_truth)]:
                if name not in writers:
                    writers[name] = pq.ParquetWriter(paths[name], table.schema, compression="zstd")
                elif not table.schema.equals(writers[name].schema):
                    raise ValueError(
                        f"{name}: a block's schema differs from the first block's\n"
                        f"{table.schema}\n!=\n{writers[name].schema}"
                    )
                writers[name].write_table(table)
                if name in counts:
                    counts[name] += table.num_rows
            del tables, ground_truth, table  # written: free them before the next block
    finally:
        for writer in writers.values():
            writer.close()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000, help="number of customers")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    parser.add_argument("--output-dir", type=Path, required=True, help="folder to write into")
    parser.add_argument("--start-date", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2025, 12, 31))
    parser.add_argument(
        "--block-customers",
        type=int,
        default=DEFAULT_BLOCK_CUSTOMERS,
        help="customers generated and written at a time; peak memory follows it "
        f"(default {DEFAULT_BLOCK_CUSTOMERS:,}: about 1.3 GB)",
    )
    args = parser.parse_args(argv)
    config = GeneratorConfig(
        n_customers=args.customers,
        seed=args.seed,
        start_date=args.start_date,
        end_date=args.end_date,
        block_customers=args.block_customers,
    )
    started = time.perf_counter()
    counts = write_blocks(config, args.output_dir)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{name} {rows:,}" for name, rows in counts.items())
    print(f"generated {summary} into {args.output_dir}/raw in {elapsed:.1f}s")


if __name__ == "__main__":
    main()
