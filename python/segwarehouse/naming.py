"""Human-readable names and one-line descriptions for k-means segments.

Rules, all deterministic:

1. Segments in `inherited` (matched to a segment of a previous model) keep their label, and
   their names are reserved.
2. Every other segment is scored against each archetype in `ARCHETYPES`: the weighted mean of
   the centroid's z-scores over the archetype's features present in the model (features it
   does not have are skipped; an archetype with none of its features present is unusable).
3. Archetypes are matched one-to-one to segments by an optimal assignment maximizing the total
   score (`scipy.optimize.linear_sum_assignment`); a match counts only when its score exceeds
   `MIN_ARCHETYPE_SCORE`. Archetypes whose name is reserved are not offered. Equal scores go
   to the archetype earlier in the catalog, and to the segment with the lower id.
4. A segment left without an archetype gets a name composed from its most distinctive
   features (largest |z|, at least `DISTINCTIVE_Z`), e.g. "Many orders, recent order", or
   "Typical customers" when no feature stands out.
5. Names are at most `MAX_NAME_LENGTH` characters and unique ignoring case; a clash gets the
   suffix " (2)", " (3)", ... in segment id order.
6. The description is one line: the share of customers, the archetype's phrase when it has
   one, then the centroid in original units ("last order ~25 days ago, 6.2 orders, ...").

Segments are processed in segment id order, so the result does not depend on row order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MAX_NAME_LENGTH = 40
# A centroid must sit more than this many standard deviations from the average customer, in
# the archetype's direction, to take its name. Centroids of a handful of segments seldom sit
# beyond 1-2 SD on any feature, and below ~0.4 SD the archetype would be describing a
# near-average profile.
MIN_ARCHETYPE_SCORE = 0.4
# Features closer than this to the average are not worth naming a segment after.
DISTINCTIVE_Z = 0.25
# At most this many features in a composed name, to keep it short.
COMPOSED_NAME_FEATURES = 2
TYPICAL_NAME = "Typical customers"
TIE_EPSILON = 1e-9


@dataclass(frozen=True)
class SegmentLabel:
    name: str
    description: str


@dataclass(frozen=True)
class Archetype:
    name: str
    phrase: str  # what the segment does, for the description
    weights: Mapping[str, float]  # feature -> signed weight on its z-score


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "High-value loyal",
        "the biggest spenders, buying often and recently",
        {"monetary_value": 1.0, "order_count": 1.0, "recency_days": -0.5},
    ),
    Archetype("Discount seekers", "buying mostly on discount", {"discounted_order_share": 1.0}),
    # Lapsed customers may have bought a fair amount before they stopped, so order count
    # only nudges the score.
    Archetype("Lapsed", "no order for a long time", {"recency_days": 1.0, "order_count": -0.25}),
    Archetype("New customers", "signed up recently", {"tenure_days": -1.0, "recency_days": -0.25}),
    Archetype(
        "Occasional buyers",
        "buying rarely and spending little",
        {"order_count": -1.0, "monetary_value": -1.0},
    ),
    Archetype("Big-basket buyers", "spending the most per order", {"average_order_value": 1.0}),
    Archetype(
        "Loyal regulars",
        "long-standing customers who buy often",
        {"order_count": 1.0, "tenure_days": 0.5, "recency_days": -0.5},
    ),
    # Valuable customers whose last order is getting old: worth a win-back before they lapse.
    Archetype(
        "At risk",
        "once valuable, but not buying lately",
        {"recency_days": 1.0, "monetary_value": 0.5, "order_count": 0.5},
    ),
    Archetype(
        "Small-basket buyers",
        "spending little per order",
        {"average_order_value": -1.0, "monetary_value": -0.5},
    ),
    Archetype(
        "Promising newcomers",
        "recent sign-ups already buying well",
        {"tenure_days": -1.0, "order_count": 0.5, "monetary_value": 0.5},
    ),
)


@dataclass(frozen=True)
class FeatureWording:
    high: str  # a name phrase for a high value
    low: str  # and for a low one
    value: Callable[[float], str]  # the centroid's value in original units, for descriptions


# How names and descriptions speak of the features the project knows, each written once.
# Which features the model clusters on is not decided here but by the `segment_features` var
# (dbt_project.yml or a mapping's `segments:`); any other feature is named by its column.
FEATURE_WORDING: dict[str, FeatureWording] = {
    "recency_days": FeatureWording(
        "long since last order",
        "recent order",
        lambda value: f"last order ~{_number(value, decimals=0)} days ago",
    ),
    "order_count": FeatureWording(
        "many orders", "few orders", lambda value: f"{_number(value)} orders"
    ),
    "monetary_value": FeatureWording(
        "high spend", "low spend", lambda value: f"{_number(value)} spent"
    ),
    "average_order_value": FeatureWording(
        "big baskets", "small baskets", lambda value: f"{_number(value)} per order"
    ),
    "discounted_order_share": FeatureWording(
        "mostly discounted",
        "rarely discounted",
        lambda value: f"{_percent(value)} of orders discounted",
    ),
    "tenure_days": FeatureWording(
        "long tenure",
        "short tenure",
        lambda value: f"customer for ~{_number(value, decimals=0)} days",
    ),
}


def label_segments(
    features: Sequence[str],
    centroids_standardized: np.ndarray,
    centroids_original: np.ndarray,
    segment_ids: Sequence[int],
    shares: Sequence[float],
    inherited: Mapping[int, SegmentLabel] | None = None,
) -> dict[int, SegmentLabel]:
    """A label for every segment id; see the module docstring for the rules."""
    features = [str(feature) for feature in features]
    standardized = np.asarray(centroids_standardized, dtype="float64")
    original = np.asarray(centroids_original, dtype="float64")
    ids = [int(segment_id) for segment_id in segment_ids]
    inherited = dict(inherited or {})
    _validate(features, standardized, original, ids, shares, inherited)

    row_of = {segment_id: row for row, segment_id in enumerate(ids)}
    share_of = {segment_id: float(shares[row]) for segment_id, row in row_of.items()}
    taken = {label.name.casefold() for label in inherited.values()}
    to_name = sorted(segment_id for segment_id in ids if segment_id not in inherited)

    archetypes = [a for a in ARCHETYPES if a.name.casefold() not in taken]
    matched = _match_archetypes(features, standardized, row_of, to_name, archetypes)

    labels = dict(inherited)
    for segment_id in to_name:
        row = row_of[segment_id]
        archetype = matched.get(segment_id)
        base = archetype.name if archetype else _composed_name(features, standardized[row])
        name = _unique(base, taken)
        taken.add(name.casefold())
        description = _description(
            features, original[row], share_of[segment_id], archetype.phrase if archetype else None
        )
        labels[segment_id] = SegmentLabel(name=name, description=description)
    return {segment_id: labels[segment_id] for segment_id in sorted(ids)}


def _validate(
    features: Sequence[str],
    standardized: np.ndarray,
    original: np.ndarray,
    ids: Sequence[int],
    shares: Sequence[float],
    inherited: Mapping[int, SegmentLabel],
) -> None:
    expected = (len(ids), len(features))
    if standardized.shape != expected or original.shape != expected:
        raise ValueError(
            f"centroids must have shape (segments, features) = {expected}, got "
            f"{standardized.shape} standardized and {original.shape} original"
        )
    if len(set(ids)) != len(ids):
        raise ValueError(f"segment ids must be unique, got {list(ids)}")
    if len(shares) != len(ids):
        raise ValueError(f"expected {len(ids)} shares, one per segment, got {len(shares)}")
    unknown = sorted(set(inherited) - set(ids))
    if unknown:
        raise ValueError(f"inherited labels for segment ids {unknown} not in {sorted(ids)}")


def archetype_score(archetype: Archetype, features: Sequence[str], z: np.ndarray) -> float:
    """Weighted mean of z over the archetype's features in `features`; nan when none are."""
    present = [(features.index(f), w) for f, w in archetype.weights.items() if f in features]
    if not present:
        return math.nan
    return sum(w * float(z[column]) for column, w in present) / sum(abs(w) for _, w in present)


def _match_archetypes(
    features: Sequence[str],
    standardized: np.ndarray,
    row_of: Mapping[int, int],
    segment_ids: Sequence[int],
    archetypes: Sequence[Archetype],
) -> dict[int, Archetype]:
    # Imported here: a build that names no segments skips SciPy's optimize module (0.4 s).
    from scipy.optimize import linear_sum_assignment

    if not segment_ids or not archetypes:
        return {}
    scores = np.array(
        [
            [archetype_score(a, features, standardized[row_of[s]]) for a in archetypes]
            for s in segment_ids
        ]
    )
    # A pair below the minimum (or unusable) is worth 0, the same as leaving the segment
    # unmatched, so the optimum over full assignments is the optimum over accepted matches.
    acceptable = np.nan_to_num(scores, nan=-np.inf) > MIN_ARCHETYPE_SCORE
    # Ties break explicitly rather than by the solver's internals: a bonus far below any real
    # score difference, larger for lower segment ids and earlier archetypes; being a product,
    # it also prefers pairing lower ids with earlier archetypes.
    rank_bonus = np.outer(np.arange(len(segment_ids), 0, -1), np.arange(len(archetypes), 0, -1))
    benefit = np.where(acceptable, scores + TIE_EPSILON * rank_bonus, 0.0)
    rows, columns = linear_sum_assignment(benefit, maximize=True)
    return {
        segment_ids[row]: archetypes[column]
        for row, column in zip(rows, columns, strict=True)
        if acceptable[row, column]
    }


def _feature_phrase(feature: str, z: float) -> str:
    column, separator, value = feature.partition("=")
    if separator:
        # A category's indicator (one-hot encoded text feature): "mostly education PhD".
        return f"{'mostly' if z > 0 else 'rarely'} {_words(column)} {value}"
    wording = FEATURE_WORDING.get(feature)
    if wording is None:
        return f"{'high' if z > 0 else 'low'} {_words(feature)}"
    return wording.high if z > 0 else wording.low


def _composed_name(features: Sequence[str], z: np.ndarray) -> str:
    by_distinctiveness = sorted(range(len(features)), key=lambda i: (-abs(z[i]), i))
    phrases = [
        _feature_phrase(features[i], float(z[i]))
        for i in by_distinctiveness[:COMPOSED_NAME_FEATURES]
        if abs(z[i]) >= DISTINCTIVE_Z
    ]
    if not phrases:
        return TYPICAL_NAME
    name = phrases[0]
    for phrase in phrases[1:]:
        if len(name) + 2 + len(phrase) <= MAX_NAME_LENGTH:
            name = f"{name}, {phrase}"
    return _truncate(name[0].upper() + name[1:], MAX_NAME_LENGTH)


def _unique(base: str, taken: set[str]) -> str:
    name = _truncate(base, MAX_NAME_LENGTH)
    counter = 2
    while name.casefold() in taken:
        suffix = f" ({counter})"
        name = _truncate(base, MAX_NAME_LENGTH - len(suffix)) + suffix
        counter += 1
    return name


def _truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:limit]
    return cut[:limit].rstrip(" ,")


def _words(feature: str) -> str:
    return " ".join(feature.replace("_", " ").split())


def _description(
    features: Sequence[str], values: np.ndarray, share: float, phrase: str | None
) -> str:
    head = f"{_percent(share)} of customers" + (f", {phrase}" if phrase else "")
    profile = ", ".join(
        _value_phrase(feature, float(value))
        for feature, value in zip(features, values, strict=True)
    )
    return f"{head}; typically {profile}."


def _value_phrase(feature: str, value: float) -> str:
    wording = FEATURE_WORDING.get(feature)
    if wording is not None:
        return wording.value(value)
    if "=" in feature:
        column, _, category = feature.partition("=")
        return f"{_percent(value)} {_words(column)} {category}"
    # Unknown features keep their column name, so the reader can look it up.
    return f"{' '.join(feature.split())}: {_number(value)}"


def _number(value: float, decimals: int | None = None) -> str:
    """Rounded for reading: one decimal below 10, whole numbers (with commas) above."""
    if not math.isfinite(value):
        return "n/a"
    if decimals is None:
        decimals = 1 if abs(value) < 10 else 0
    # Adding 0.0 turns a rounded -0 into 0.
    return f"{round(value, decimals) + 0.0:,.{decimals}f}"


def _percent(share: float) -> str:
    if not math.isfinite(share):
        return "n/a"
    decimals = 1 if 0 < abs(share) < 0.01 else 0
    return f"{round(share * 100, decimals) + 0.0:.{decimals}f}%"
