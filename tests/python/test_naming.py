import numpy as np
import pytest

from segwarehouse.naming import (
    ARCHETYPES,
    MAX_NAME_LENGTH,
    MIN_ARCHETYPE_SCORE,
    TYPICAL_NAME,
    SegmentLabel,
    label_segments,
)

FEATURES = (
    "recency_days",
    "order_count",
    "monetary_value",
    "average_order_value",
    "discounted_order_share",
    "tenure_days",
)
# Mean and standard deviation of each feature, to map hand-made z-scores to original units.
MEANS = np.array([150.0, 4.0, 400.0, 70.0, 0.3, 450.0])
SCALES = np.array([200.0, 3.0, 500.0, 40.0, 0.3, 200.0])

# z-scores in FEATURES order, shaped like the centroids k-means finds on the demo data.
PERSONA_CENTROIDS = {
    "high_value_loyal": [-0.6, 1.6, 1.7, 1.2, -0.6, 0.6],
    "discount_seeker": [-0.4, 0.6, 0.2, -0.5, 1.4, 0.2],
    "occasional": [-0.4, -0.6, -0.4, -0.1, -0.7, 0.1],
    "lapsed": [1.8, -0.2, -0.3, 0.0, -0.2, 0.7],
    "new_customer": [-0.6, -0.8, -0.7, -0.2, 0.1, -1.8],
}
PERSONA_SHARES = {
    "high_value_loyal": 0.12,
    "discount_seeker": 0.20,
    "occasional": 0.33,
    "lapsed": 0.20,
    "new_customer": 0.15,
}


def original_units(standardized: np.ndarray) -> np.ndarray:
    return MEANS + standardized * SCALES


def label(features, standardized, segment_ids=None, shares=None, inherited=None):
    """label_segments with ids 1..k, equal shares and made-up original units by default."""
    standardized = np.asarray(standardized, dtype="float64")
    k = len(standardized)
    known = tuple(features) == FEATURES
    return label_segments(
        features,
        standardized,
        original_units(standardized) if known else standardized * 10 + 50,
        list(range(1, k + 1)) if segment_ids is None else segment_ids,
        [1 / k] * k if shares is None else shares,
        inherited,
    )


def persona_labels(order: list[str], segment_ids: list[int]) -> dict[str, SegmentLabel]:
    labels = label(
        FEATURES,
        [PERSONA_CENTROIDS[persona] for persona in order],
        segment_ids,
        [PERSONA_SHARES[persona] for persona in order],
    )
    return {
        persona: labels[segment_id] for persona, segment_id in zip(order, segment_ids, strict=True)
    }


def random_case(k: int, seed: int) -> tuple[np.ndarray, list[int], list[float]]:
    rng = np.random.default_rng(seed)
    standardized = rng.normal(0, 1.2, (k, len(FEATURES)))
    segment_ids = [int(i) for i in rng.choice(np.arange(1, 100), size=k, replace=False)]
    sizes = rng.integers(1, 1000, k)
    return standardized, segment_ids, list(sizes / sizes.sum())


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        pytest.param("high_value_loyal", "High-value loyal", id="high-value-loyal"),
        pytest.param("discount_seeker", "Discount seekers", id="discount-seeker"),
        pytest.param("occasional", "Occasional buyers", id="occasional"),
        pytest.param("lapsed", "Lapsed", id="lapsed"),
        pytest.param("new_customer", "New customers", id="new-customer"),
    ],
)
@pytest.mark.parametrize(
    ("order", "segment_ids"),
    [
        pytest.param(list(PERSONA_CENTROIDS), [1, 2, 3, 4, 5], id="ids-1-to-5"),
        pytest.param(list(reversed(PERSONA_CENTROIDS)), [40, 7, 12, 3, 99], id="shuffled-ids"),
    ],
)
def test_persona_centroids_get_their_archetype(persona, expected, order, segment_ids):
    assert persona_labels(order, segment_ids)[persona].name == expected


def test_persona_description_reads_the_profile_in_original_units():
    description = persona_labels(list(PERSONA_CENTROIDS), [1, 2, 3, 4, 5])[
        "high_value_loyal"
    ].description
    # recency -0.6 z -> 30 days; orders 1.6 z -> 8.8; spend 1.7 z -> 1,250; AOV 1.2 z -> 118;
    # discounted share -0.6 z -> 12%; tenure 0.6 z -> 570 days.
    assert description == (
        "12% of customers, the biggest spenders, buying often and recently; typically last "
        "order ~30 days ago, 8.8 orders, 1,250 spent, 118 per order, 12% of orders discounted, "
        "customer for ~570 days."
    )


@pytest.mark.parametrize("k", [pytest.param(k, id=f"k={k}") for k in range(2, 13)])
def test_names_are_unique_short_and_descriptions_one_line(k):
    standardized, segment_ids, shares = random_case(k, seed=k)
    labels = label(FEATURES, standardized, segment_ids, shares)
    assert sorted(labels) == sorted(segment_ids)
    names = [segment_label.name for segment_label in labels.values()]
    assert len({name.casefold() for name in names}) == k
    assert all(0 < len(name) <= MAX_NAME_LENGTH for name in names)
    for segment_id, share in zip(segment_ids, shares, strict=True):
        description = labels[segment_id].description
        assert "\n" not in description
        percent = f"{share:.1%}" if share < 0.01 else f"{share:.0%}"
        assert description.startswith(f"{percent} of customers")


def test_more_segments_than_archetypes_fall_back_to_composed_names():
    standardized, segment_ids, shares = random_case(len(ARCHETYPES) + 2, seed=1)
    labels = label(FEATURES, standardized, segment_ids, shares)
    archetype_names = {archetype.name for archetype in ARCHETYPES}
    composed = [s.name for s in labels.values() if s.name not in archetype_names]
    assert len(composed) >= 2


@pytest.mark.parametrize(
    ("inherited_name", "segment_row"),
    [
        pytest.param("Discount seekers", 1, id="archetype-name"),
        pytest.param("DISCOUNT SEEKERS", 1, id="archetype-name-other-case"),
        pytest.param("Lapsed", 4, id="another-archetype-name"),
    ],
)
def test_inherited_labels_are_kept_and_never_collide(inherited_name, segment_row):
    # Segment 10 was matched to a previous model's segment; its profile no longer fits the
    # name, but it keeps it, and the segment that fits the name best must take another one.
    standardized = [
        PERSONA_CENTROIDS["high_value_loyal"],
        PERSONA_CENTROIDS["discount_seeker"],
        PERSONA_CENTROIDS["occasional"],
        PERSONA_CENTROIDS["new_customer"],
        PERSONA_CENTROIDS["lapsed"],
        [0.0, 0.0, 0.0, 1.5, 0.0, 0.0],  # now a big-basket profile
    ]
    segment_ids = [1, 2, 3, 4, 5, 10]
    fresh = label(FEATURES, standardized, segment_ids)
    assert fresh[segment_ids[segment_row]].name.casefold() == inherited_name.casefold()
    inherited = {10: SegmentLabel(name=inherited_name, description="kept as it was")}
    labels = label(FEATURES, standardized, segment_ids, inherited=inherited)
    assert labels[10] == inherited[10]
    names = [segment_label.name.casefold() for segment_label in labels.values()]
    assert len(set(names)) == len(names)
    assert labels[segment_ids[segment_row]].name.casefold() != inherited_name.casefold()


def test_inherited_composed_name_pushes_a_new_one_to_a_suffix():
    inherited = {2: SegmentLabel(name="high X score, low y rate", description="kept")}
    labels = label(["x_score", "y_rate"], [[2.0, -1.0], [0.0, 0.0]], inherited=inherited)
    assert labels[2] == inherited[2]
    assert labels[1].name == "High x score, low y rate (2)"


@pytest.mark.parametrize(
    ("standardized", "expected"),
    [
        pytest.param(
            [[2.0, -1.0], [-1.5, 0.3], [0.1, -0.2]],
            ["High x score, low y rate", "Low x score, high y rate", TYPICAL_NAME],
            id="two-features-and-typical",
        ),
        pytest.param(
            [[2.0, -1.0], [2.0, -1.0], [1.9, -1.1]],
            [
                "High x score, low y rate",
                "High x score, low y rate (2)",
                "High x score, low y rate (3)",
            ],
            id="suffixes-in-segment-order",
        ),
        pytest.param(
            [[0.0, 0.5], [0.2, 0.1], [-0.1, 0.0]],
            ["High y rate", TYPICAL_NAME, f"{TYPICAL_NAME} (2)"],
            id="only-distinctive-features-named",
        ),
    ],
)
def test_unknown_features_fall_back_to_composed_names(standardized, expected):
    labels = label(["x_score", "y_rate"], standardized)
    assert [labels[segment_id].name for segment_id in (1, 2, 3)] == expected


def test_long_unknown_feature_names_are_cut_to_length():
    features = ["share_of_orders_placed_through_the_mobile_app", "y"]
    labels = label(features, [[3.0, 1.0], [3.0, 1.0]])
    assert labels[1].name == "High share of orders placed through the"
    assert labels[2].name == "High share of orders placed through (2)"
    assert all(len(segment_label.name) <= MAX_NAME_LENGTH for segment_label in labels.values())


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        pytest.param(MIN_ARCHETYPE_SCORE + 0.01, "Discount seekers", id="just-above-minimum"),
        pytest.param(MIN_ARCHETYPE_SCORE, "Mostly discounted", id="at-minimum"),
        pytest.param(-1.0, "Rarely discounted", id="no-archetype-for-low-discounts"),
    ],
)
def test_an_archetype_needs_a_score_above_the_minimum(z, expected):
    (segment_label,) = label(["discounted_order_share"], [[z]]).values()
    assert segment_label.name == expected


def test_archetypes_score_on_the_features_present_and_ties_go_to_the_catalog_order():
    # With order_count alone, the four archetypes that weigh it positively all score 2.0;
    # the others have no feature present (or score -2.0), so the fifth segment gets none.
    labels = label(["order_count"], [[2.0]] * 5)
    assert [labels[i].name for i in (1, 2, 3, 4, 5)] == [
        "High-value loyal",
        "Loyal regulars",
        "At risk",
        "Promising newcomers",
        "Many orders",
    ]


def test_tied_segments_go_to_the_lower_segment_id():
    labels = label(["discounted_order_share"], [[1.0], [1.0]], segment_ids=[7, 3])
    assert labels[3].name == "Discount seekers"
    assert labels[7].name == "Mostly discounted"


def test_labels_are_deterministic_and_independent_of_row_order():
    standardized, segment_ids, shares = random_case(9, seed=123)
    first = label(FEATURES, standardized, segment_ids, shares)
    assert label(FEATURES, standardized, segment_ids, shares) == first
    order = np.random.default_rng(5).permutation(len(segment_ids))
    permuted = label(
        FEATURES,
        standardized[order],
        [segment_ids[i] for i in order],
        [shares[i] for i in order],
    )
    assert permuted == first
    assert list(permuted) == sorted(segment_ids)


@pytest.mark.parametrize(
    ("features", "original", "share", "expected"),
    [
        pytest.param(
            ["x_score", "tenure_days"],
            [12345.678, 30.4],
            0.123,
            "12% of customers; typically x_score: 12,346, customer for ~30 days.",
            id="unknown-feature-generic",
        ),
        pytest.param(
            ["discounted_order_share", "order_count"],
            [0.456, 1.04],
            0.004,
            "0.4% of customers; typically 46% of orders discounted, 1.0 orders.",
            id="small-share-and-percentages",
        ),
        pytest.param(
            ["recency_days", "monetary_value"],
            [-0.2, -0.01],
            1.0,
            "100% of customers; typically last order ~0 days ago, 0.0 spent.",
            id="no-negative-zero",
        ),
    ],
)
def test_descriptions_format_values_for_reading(features, original, share, expected):
    labels = label_segments(features, np.array([[0.0, 0.0]]), np.array([original]), [1], [share])
    assert labels[1].description == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"centroids_original": np.zeros((2, 3))}, "shape", id="shape-mismatch"),
        pytest.param({"segment_ids": [1, 1]}, "unique", id="duplicate-ids"),
        pytest.param({"shares": [1.0]}, "shares", id="share-count"),
        pytest.param(
            {"inherited": {5: SegmentLabel("Old", "old")}}, r"\[5\]", id="inherited-unknown-id"
        ),
    ],
)
def test_inconsistent_inputs_fail_loudly(kwargs, message):
    arguments = {
        "features": ["a", "b"],
        "centroids_standardized": np.zeros((2, 2)),
        "centroids_original": np.zeros((2, 2)),
        "segment_ids": [1, 2],
        "shares": [0.5, 0.5],
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        label_segments(**arguments)


def test_a_category_indicator_reads_as_a_share():
    """One-hot features ('tier=gold') name and describe a segment by how many are in it."""
    labels = label_segments(
        ["tier=gold", "order_count"],
        np.array([[2.5, 0.1], [-2.5, -0.1]]),
        np.array([[0.9, 3.0], [0.05, 2.0]]),
        [1, 2],
        [0.5, 0.5],
    )
    assert labels[1].name == "Mostly tier gold"
    assert labels[2].name == "Rarely tier gold"
    assert "90% tier gold" in labels[1].description
