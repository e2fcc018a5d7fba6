"""The fields a mapping file can fill, per entity: names, types, and what an unmapped field is.

This is the one list of the warehouse's input fields. The mapping loader validates a mapping
file against it and writes, for every field of every entity, how staging gets it: a column of
the user's table, a constant, a documented default, a derivation, or null. The staging models
(models/staging/mapped) name the same fields; tests/python/test_sources.py checks both lists
agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Value types a field parses to in staging (each is one SQL cast there).
FIELD_TYPES = ("key", "text", "timestamp", "date", "decimal", "integer", "number", "boolean")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    # Must be mapped (or derivable): an entity without it cannot be used.
    required: bool = False
    # Constant for an unmapped field; None leaves it null.
    default: Any = None
    # How staging derives an unmapped field (documented), instead of a constant.
    derived: str | None = None
    # Columns whose values are summed when the mapping gives a list.
    summable: bool = False
    # The values a text field may take (after the value map, lower-cased); others are
    # quarantined as invalid_value. Staging reads the same lists (macro accepted_values).
    accepted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    name: str
    description: str
    fields: tuple[Field, ...]
    # What the warehouse does when the mapping file has no such entity.
    when_absent: str = "empty: its features are 0 or null and its marts are empty"

    @property
    def key(self) -> str:
        """The entity's id field: customers -> customer_id, order_lines -> order_line_id."""
        return self.name.removesuffix("s") + "_id"

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(candidate.name for candidate in self.fields)


def _id(entity: str, *, derived: str | None = None) -> Field:
    singular = entity.removesuffix("s").replace("_", " ")
    kept = " (kept as written in dim_customers.source_customer_id)" if entity == "customers" else ""
    return Field(
        f"{entity.removesuffix('s')}_id",
        "key",
        f"The {singular}'s id: a whole number, or any text, which gets a stable integer key{kept}.",
        required=derived is None,
        derived=derived,
    )


def _ref(name: str, what: str, *, required: bool = True) -> Field:
    return Field(name, "key", f"Id of the {what} the row belongs to.", required=required)


# Line-level fields: on order_lines, or on a transaction log mapped as orders alone.
LINE_FIELDS: tuple[Field, ...] = (
    Field("product_id", "key", "Product bought; without it the line has no product.", default=None),
    Field("quantity", "integer", "Units bought (whole, 1 to quarantine_max_quantity).", default=1),
    Field(
        "unit_price",
        "decimal",
        "Price of one unit; the line is worth quantity x unit_price (give this or amount).",
    ),
    Field(
        "amount",
        "decimal",
        "What the line cost in all, before discount (give this or unit_price); with a "
        "quantity the unit price is amount / quantity.",
        summable=True,
    ),
    Field("discount_amount", "decimal", "Discount taken off the line.", default=0),
)

ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (
        Entity(
            "customers",
            "One row per customer account (a CRM export, a customer snapshot).",
            (
                _id("customers"),
                Field("email", "text", "Kept only as a SHA-256 hash (email_hash)."),
                Field("phone", "text", "Only whether there is one is kept (has_phone)."),
                Field("birth_date", "date", "Gives age and age band."),
                Field(
                    "gender",
                    "text",
                    "female, male, non_binary or undisclosed.",
                    accepted=("female", "male", "non_binary", "undisclosed"),
                ),
                Field("country", "text", "Country name."),
                Field("region", "text", "Region or state."),
                Field("city", "text", "City."),
                Field(
                    "signup_date",
                    "date",
                    "When the customer signed up; gives tenure_days (null without a signup "
                    "date or an order).",
                    derived="the date of the customer's first order",
                ),
                Field(
                    "acquisition_channel",
                    "text",
                    "organic_search, paid_search, social, referral, email, affiliate or store.",
                    accepted=(
                        "organic_search",
                        "paid_search",
                        "social",
                        "referral",
                        "email",
                        "affiliate",
                        "store",
                    ),
                ),
                Field("is_loyalty_member", "boolean", "Member of the loyalty programme."),
                Field(
                    "snapshot_date",
                    "date",
                    "When the row's attributes and behaviour were measured (a CRM snapshot's "
                    "extract date); needed with behaviour.",
                ),
            ),
            when_absent="derived from orders: one customer per customer id, signed up on the "
            "date of their first order",
        ),
        Entity(
            "products",
            "One row per product in the catalogue.",
            (
                _id("products"),
                Field("name", "text", "Product name."),
                Field("category", "text", "Category (lower-cased).", default="uncategorized"),
                Field("brand", "text", "Brand."),
                Field("list_price", "decimal", "Catalogue price."),
            ),
            when_absent="derived from the product ids of order lines, category 'uncategorized'",
        ),
        Entity(
            "orders",
            "One row per order, or a transaction log: one row per purchase or line item "
            "(then without order_lines, and with amount or unit_price).",
            (
                _id(
                    "orders",
                    derived="one order per customer per ordered_at (a log without order ids)",
                ),
                _ref("customer_id", "customer"),
                Field("ordered_at", "timestamp", "When the order was placed.", required=True),
                Field("channel", "text", "web, app or store.", accepted=("web", "app", "store")),
                Field(
                    "status",
                    "text",
                    "completed, returned or cancelled.",
                    default="completed",
                    accepted=("completed", "returned", "cancelled"),
                ),
                Field("discount_code", "text", "Code used, if any (upper-cased)."),
                Field("returned_at", "timestamp", "When a returned order came back."),
                Field(
                    "order_line_id",
                    "key",
                    "Line id of a transaction log (lines of one order).",
                    derived="one line per row of the log",
                ),
                *LINE_FIELDS,
            ),
            when_absent="required, unless customers carry behaviour (a customer snapshot)",
        ),
        Entity(
            "order_lines",
            "One row per product line of an order (with orders as one row per order).",
            (
                _id("order_lines", derived="one line per row"),
                _ref("order_id", "order"),
                *LINE_FIELDS,
            ),
            when_absent="one line per row of orders (a transaction log), or none",
        ),
        Entity(
            "campaigns",
            "One row per marketing campaign.",
            (
                _id("campaigns"),
                Field("name", "text", "Campaign name.", derived="the campaign id"),
                Field("channel", "text", "email, sms or push.", accepted=("email", "sms", "push")),
                Field("start_date", "date", "First day."),
                Field("end_date", "date", "Last day."),
                Field("cost", "decimal", "What it cost in all."),
            ),
            when_absent="derived from the campaign ids of sends and responses",
        ),
        Entity(
            "campaign_sends",
            "One row per message of a campaign sent to a customer.",
            (
                _id("campaign_sends", derived="one send per row"),
                _ref("campaign_id", "campaign"),
                _ref("customer_id", "customer"),
                Field("sent_at", "timestamp", "When it was sent.", required=True),
            ),
        ),
        Entity(
            "campaign_responses",
            "Who received which offer and whether they accepted: long (one row per customer "
            "per campaign) or wide (`wide:` one column per campaign, 1/true accepted, 0/false "
            "not, empty not offered).",
            (
                _ref("customer_id", "customer"),
                _ref("campaign_id", "campaign"),
                Field("is_accepted", "boolean", "Whether the offer was accepted.", required=True),
                Field("responded_at", "timestamp", "When the offer was made or answered."),
            ),
        ),
        Entity(
            "email_events",
            "One row per delivery, open, click or unsubscribe of an email send.",
            (
                _id("email_events", derived="one event per row"),
                _ref("campaign_send_id", "campaign send"),
                Field(
                    "event_type",
                    "text",
                    "delivered, opened, clicked, unsubscribed or bounced (an open or click "
                    "counts as delivered too; a bounce is a send not delivered).",
                    required=True,
                    accepted=("delivered", "opened", "clicked", "unsubscribed", "bounced"),
                ),
                Field("occurred_at", "timestamp", "When it happened.", required=True),
            ),
        ),
        Entity(
            "web_sessions",
            "One row per logged-in web or app session.",
            (
                _id("web_sessions", derived="one session per row"),
                _ref("customer_id", "customer"),
                Field("started_at", "timestamp", "When the session started.", required=True),
                Field(
                    "device",
                    "text",
                    "desktop, mobile or tablet.",
                    accepted=("desktop", "mobile", "tablet"),
                ),
                Field("pages_viewed", "integer", "Pages viewed."),
                _ref("converted_order_id", "order placed in the session", required=False),
            ),
        ),
        Entity(
            "experiment_assignments",
            "One row per customer assigned to a variant of an A/B test.",
            (
                _id("experiment_assignments", derived="one assignment per row"),
                Field("experiment_name", "text", "The experiment.", required=True),
                _ref("customer_id", "customer"),
                Field(
                    "variant",
                    "text",
                    "control or treatment.",
                    required=True,
                    accepted=("control", "treatment"),
                ),
                Field("assigned_at", "timestamp", "When the customer was assigned.", required=True),
            ),
        ),
        Entity(
            "survey_responses",
            "One row per survey answer.",
            (
                _id("survey_responses", derived="one response per row"),
                _ref("customer_id", "customer"),
                Field("responded_at", "timestamp", "When they answered.", required=True),
                Field("nps_score", "integer", "Net promoter score answer, 0-10."),
                Field("satisfaction_score", "integer", "Satisfaction, 1-5."),
            ),
        ),
    )
}

# Precomputed behaviour a customers table may carry instead of a transaction log.
BEHAVIOUR_FIELDS: tuple[Field, ...] = (
    Field("recency_days", "number", "Days since the last purchase, at snapshot_date."),
    Field("order_count", "integer", "Purchases (a list of columns is summed).", summable=True),
    Field("monetary_value", "decimal", "Spend (a list of columns is summed).", summable=True),
    Field("discounted_order_count", "integer", "Purchases with a discount.", summable=True),
    Field("returned_order_count", "integer", "Purchases returned.", summable=True),
    Field("web_order_count", "integer", "Purchases on the web.", summable=True),
    Field("app_order_count", "integer", "Purchases in the app.", summable=True),
    Field("store_order_count", "integer", "Purchases in a store.", summable=True),
)

# Mapping file sections besides the entities.
TOP_LEVEL_KEYS = (
    "name", "root", "staging", "provides", "tables", "settings", "segments", *ENTITIES,
)  # fmt: skip
ENTITY_KEYS = (
    "path",
    "format",
    "table",
    "database",
    "delimiter",
    "header",
    "names",
    "quote",
    "timestamp_format",
    "date_format",
    "decimal_separator",
    "thousands_separator",
    "currency_symbol",
    "columns",
    "distinct",
    "attributes",
    "behaviour",
    "category_spend",
    "wide",
)
FORMATS = ("csv", "parquet", "duckdb", "whitespace")
# Settings a mapping file may give (project vars); `segments` sets the clustering ones.
SETTINGS = (
    "as_of_date",
    "quarantine_earliest_date",
    "quarantine_extract_date",
    "quarantine_max_quantity",
    "quarantine_max_price",
    "quarantine_max_pages_viewed",
    "quarantine_max_campaign_cost",
    "quarantine_max_share",
    "quarantine_warn_share",
    "quarantine_max_loss_share",
    "quarantine_warn_loss_share",
    "source_time_zone",
    "kpi_min_group_size",
    "send_conversion_window_days",
    "experiment_conversion_window_days",
    "campaign_attribution_window_days",
    "churn_inactivity_days",
    "segment_drift_max_share_change",
    "segment_drift_max_psi",
)
SEGMENT_SETTINGS = {
    "features": "segment_features",
    "null_fills": "segment_null_fills",
    "k_min": "segment_k_min",
    "k_max": "segment_k_max",
    "n_clusters": "segment_n_clusters",
}


def _when_unmapped(field: Field) -> str:
    if field.required:
        return "**required**"
    if field.derived is not None:
        return field.derived
    if field.default is not None:
        return f"`{field.default}`"
    return "null"


def fields_markdown() -> str:
    """The fields each entity accepts, as docs/sources.md lists them (tests keep the two equal)."""
    lines = [
        "| entity | field | type | when not mapped | meaning |",
        "|---|---|---|---|---|",
    ]
    for entity in ENTITIES.values():
        for position, field in enumerate(entity.fields):
            name = f"`{entity.name}`" if position == 0 else ""
            lines.append(
                f"| {name} | `{field.name}` | {field.type} | {_when_unmapped(field)} | "
                f"{field.description} |"
            )
    for position, field in enumerate(BEHAVIOUR_FIELDS):
        name = "`customers.behaviour`" if position == 0 else ""
        lines.append(f"| {name} | `{field.name}` | {field.type} | null | {field.description} |")
    return "\n".join(lines)
