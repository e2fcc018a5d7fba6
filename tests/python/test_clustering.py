from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from segwarehouse.clustering import (
    ClusteringConfig,
    ClusteringConfigError,
    ClusteringFitError,
    apply_transforms,
    assign_segments,
    empty_model_frame,
    feature_matrix,
    fit_segment_model,
    fit_transforms,
    latest_model_rows,
    model_from_frame,
    model_to_frame,
    parse_flag,
    reproducible_sample,
    select_k,
    train_if_due,
    unfitted_model_frame,
    why_retrain,
    with_indicators,
)

from .conftest import modules_loaded_by

VALID_SETTINGS = {
    "features": ["a", "b"],
    "null_fills": None,
    "k_min": 2,
    "k_max": 6,
    "n_clusters": None,
    "k_selection_criterion": "calinski_harabasz",
    "k_selection_sample_size": 2000,
    "random_state": 0,
    "skew_threshold": 2.0,
    "n_init": 4,
    "max_training_rows": 100_000,
    "id_match_max_distance": 1.0,
    "max_categories": 10,
}


def blobs(n_per_blob: int = 150, seed: int = 0) -> pd.DataFrame:
    """Four well-separated groups in two features, with customer ids."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    points = np.vstack([centre + rng.normal(0, 0.7, (n_per_blob, 2)) for centre in centres])
    return pd.DataFrame(
        {"customer_id": np.arange(1, len(points) + 1), "a": points[:, 0], "b": points[:, 1]}
    )


def config(**overrides) -> ClusteringConfig:
    return ClusteringConfig.from_settings(**{**VALID_SETTINGS, **overrides})


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        pytest.param({"features": []}, "features", id="no-features"),
        pytest.param({"features": "a"}, "features", id="features-not-a-list"),
        pytest.param({"features": ["a", "a"]}, "features", id="duplicate-feature"),
        pytest.param({"k_min": 1}, "k_min", id="k-min-below-2"),
        pytest.param({"k_min": None}, "k_min", id="k-min-missing"),
        pytest.param({"k_max": 2.5}, "k_max", id="k-max-not-integer"),
        pytest.param({"k_min": 5, "k_max": 3}, "k_max", id="k-range-reversed"),
        pytest.param({"n_clusters": 0}, "n_clusters", id="fixed-k-zero"),
        pytest.param({"k_selection_criterion": "elbow"}, "k_selection_criterion", id="criterion"),
        pytest.param({"random_state": -1}, "random_state", id="negative-seed"),
        pytest.param({"skew_threshold": "high"}, "skew_threshold", id="threshold-not-number"),
        pytest.param({"n_init": True}, "n_init", id="n-init-bool"),
        pytest.param({"null_fills": ["a"]}, "null_fills", id="fills-not-a-mapping"),
        pytest.param({"null_fills": {"z": 0}}, "null_fills", id="fill-for-unknown-feature"),
        pytest.param(
            {"null_fills": {"a": None}}, "null_fills", id="fill-neither-number-nor-column"
        ),
        pytest.param({"null_fills": {"a": float("inf")}}, "null_fills", id="fill-not-finite"),
        pytest.param({"max_training_rows": 5}, "max_training_rows", id="training-cap-tiny"),
        pytest.param(
            {"id_match_max_distance": -1}, "id_match_max_distance", id="negative-match-distance"
        ),
    ],
)
def test_invalid_settings_fail_naming_the_setting(overrides, setting):
    with pytest.raises(ClusteringConfigError, match=f"'{setting}'"):
        config(**overrides)


def test_fixed_k_is_the_only_candidate():
    assert config(n_clusters=4).k_candidates == (4,)
    assert config().k_candidates == (2, 3, 4, 5, 6)


def test_null_fills_split_into_constants_and_columns():
    settings = config(null_fills={"a": 0, "b": "c"})
    assert settings.fill_values == {"a": 0.0}
    assert settings.fill_columns == {"b": "c"}
    assert settings.required_columns == ("a", "b", "c")


def test_nulls_take_the_fill_column_then_the_constant_then_the_median():
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "recency": [10.0, None, 30.0, None, 50.0],
            "tenure": [100.0, 200.0, 300.0, None, 500.0],
            "aov": [None, 20.0, 40.0, 60.0, 80.0],
        }
    )
    settings = config(
        features=["recency", "aov"], null_fills={"recency": "tenure", "aov": 0}, n_clusters=2
    )
    matrix = feature_matrix(frame, settings.features, settings.fill_columns)
    # customer 2 takes its tenure; customer 4 has no tenure either, so stays null for the median
    np.testing.assert_array_equal(matrix[:, 0], [10.0, 200.0, 30.0, np.nan, 50.0])
    model = fit_segment_model(frame, settings)
    recency, aov = model.transforms
    assert recency.null_fill_column == "tenure"
    assert recency.impute_value == 40.0  # median of 10, 200, 30, 50
    assert aov.null_fill_column is None
    assert aov.impute_value == 0.0
    restored = model_from_frame(model_to_frame(model))
    assert restored.transforms == model.transforms
    assert restored.required_columns == ("recency", "aov", "tenure")


def test_unknown_feature_names_the_available_columns():
    with pytest.raises(ClusteringConfigError, match=r"unknown columns \['c'\].*available"):
        feature_matrix(blobs(), ["a", "c"])
    with pytest.raises(ClusteringConfigError, match=r"did you mean 'amount'"):
        feature_matrix(blobs().rename(columns={"a": "amount"}), ["amount", "amont"])


def test_skewed_non_negative_features_are_logged_and_others_are_not():
    rng = np.random.default_rng(1)
    matrix = np.column_stack(
        [
            rng.lognormal(3, 1.2, 2000),  # heavy right tail
            rng.normal(50, 5, 2000),  # symmetric
            -rng.lognormal(3, 1.2, 2000),  # skewed but negative: log1p undefined
        ]
    )
    transforms = fit_transforms(matrix, ["money", "age", "negative"], skew_threshold=1.0)
    assert [t.transform for t in transforms] == ["log1p", "none", "none"]


def test_standardized_features_have_zero_mean_unit_variance_and_invert():
    rng = np.random.default_rng(2)
    matrix = np.column_stack([rng.lognormal(2, 1, 500), rng.normal(10, 3, 500)])
    transforms = fit_transforms(matrix, ["x", "y"], skew_threshold=1.0)
    standardized = apply_transforms(matrix, transforms)
    np.testing.assert_allclose(standardized.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(standardized.std(axis=0), 1, atol=1e-9)
    recovered = np.column_stack([t.inverse(standardized[:, i]) for i, t in enumerate(transforms)])
    np.testing.assert_allclose(recovered, matrix, rtol=1e-9)


def test_nulls_are_imputed_with_the_median():
    matrix = np.array([[1.0], [2.0], [np.nan], [10.0]])
    (transform,) = fit_transforms(matrix, ["x"], skew_threshold=100.0)
    assert transform.impute_value == 2.0
    standardized = transform.forward(matrix[:, 0])
    assert standardized[2] == standardized[1]


def test_constant_feature_does_not_divide_by_zero():
    matrix = np.full((10, 1), 3.0)
    (transform,) = fit_transforms(matrix, ["x"], skew_threshold=1.0)
    assert transform.scale == 1.0
    assert np.all(transform.forward(matrix[:, 0]) == 0)


def test_all_null_feature_is_refused():
    with pytest.raises(ClusteringFitError, match="'x' has no non-null values"):
        fit_transforms(np.full((5, 1), np.nan), ["x"], skew_threshold=1.0)


@pytest.mark.parametrize("criterion", ["calinski_harabasz", "silhouette", "davies_bouldin"])
def test_each_criterion_finds_four_separated_groups(criterion):
    standardized = blobs()[["a", "b"]].to_numpy()
    k, scores = select_k(standardized, range(2, 8), criterion, 10_000, 0, 4)
    assert k == 4
    assert set(scores) == set(range(2, 8))


def test_a_single_k_in_the_range_is_still_scored():
    model = fit_segment_model(blobs(), config(k_min=4, k_max=4))
    assert model.k == 4
    assert model.k_selection_criterion == "calinski_harabasz"
    assert set(model.k_scores) == {4}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fewer_distinct_customers_than_k_is_refused():
    frame = pd.DataFrame({"customer_id": range(40), "a": [0.0, 1.0] * 20, "b": [5.0, 7.0] * 20})
    with pytest.raises(ClusteringFitError, match="only 2 distinct segments for k=3"):
        fit_segment_model(frame, config(n_clusters=3))
    with pytest.raises(ClusteringFitError, match="lower 'k_min'"):
        fit_segment_model(frame, config(k_min=3, k_max=4))


def test_k_search_refuses_k_above_the_sample():
    with pytest.raises(ClusteringFitError, match=r"'k_max'.*'k_selection_sample_size'"):
        select_k(np.random.default_rng(0).normal(size=(20, 2)), [3, 30], "silhouette", 20, 0, 1)


def test_sample_is_reproducible_and_complete_when_small():
    assert np.array_equal(reproducible_sample(1000, 100, 7), reproducible_sample(1000, 100, 7))
    assert not np.array_equal(reproducible_sample(1000, 100, 7), reproducible_sample(1000, 100, 8))
    assert np.array_equal(reproducible_sample(50, 100, 7), np.arange(50))


def test_fit_recovers_groups_and_numbers_segments_by_size():
    frame = blobs()
    frame = pd.concat([frame, blobs(60, seed=9).assign(customer_id=lambda f: f.customer_id + 600)])
    model = fit_segment_model(frame, config(), as_of_date=date(2025, 1, 31))
    assert model.k == 4
    assert model.k_selection_criterion == "calinski_harabasz"
    assert list(model.segment_sizes) == sorted(model.segment_sizes, reverse=True)
    assignments = assign_segments(model, frame)
    assert assignments["segment_id"].value_counts().sort_index().tolist() == list(
        model.segment_sizes
    )


def test_assignment_matches_scikit_learn_predict():
    frame = blobs()
    settings = config(n_clusters=4)
    model = fit_segment_model(frame, settings)
    standardized = apply_transforms(feature_matrix(frame, ["a", "b"]), model.transforms)
    kmeans = KMeans(n_clusters=4, n_init=4, random_state=0).fit(standardized)
    ours = assign_segments(model, frame)["segment_id"].to_numpy()
    theirs = kmeans.predict(standardized)
    # Same partition, different numbering.
    assert pd.crosstab(ours, theirs).gt(0).sum(axis=1).eq(1).all()
    nearest = np.linalg.norm(standardized - model.centroids[ours - 1], axis=1)
    np.testing.assert_allclose(assign_segments(model, frame)["distance_to_centroid"], nearest)


def test_same_data_and_seed_give_the_same_model():
    trained_at = datetime(2025, 2, 1, 6, 0)
    first = fit_segment_model(blobs(), config(), trained_at=trained_at)
    second = fit_segment_model(blobs(), config(), trained_at=trained_at)
    assert first.model_version == second.model_version
    np.testing.assert_array_equal(first.centroids, second.centroids)
    later = fit_segment_model(blobs(), config(), trained_at=datetime(2025, 3, 1))
    assert later.model_version != first.model_version, "each training run is its own version"


def test_fixed_k_skips_the_search():
    model = fit_segment_model(blobs(), config(n_clusters=3))
    assert model.k == 3
    assert model.k_selection_criterion == "fixed"
    assert model.k_scores == {}


def test_too_few_customers_for_k_is_refused():
    with pytest.raises(ClusteringFitError, match="only 5 customers"):
        fit_segment_model(blobs().head(5), config())


def test_model_round_trips_through_its_table():
    frame = blobs()
    model = fit_segment_model(
        frame, config(), as_of_date=date(2025, 1, 31), trained_at=datetime(2025, 2, 1, 6, 0)
    )
    table = model_to_frame(model)
    assert len(table) == model.k * 2
    restored = model_from_frame(table)
    assert restored.model_version == model.model_version
    assert restored.as_of_date == date(2025, 1, 31)
    assert restored.k_scores == model.k_scores
    assert restored.transforms == model.transforms
    np.testing.assert_array_equal(restored.centroids, model.centroids)
    pd.testing.assert_frame_equal(assign_segments(restored, frame), assign_segments(model, frame))


def test_model_tables_store_text_columns_as_text_even_when_all_null():
    """An all-null object column would reach DuckDB as type NULL, which refuses values later
    (a unit test's fixture, or the next run's fit_message)."""
    model = fit_segment_model(blobs(), config(), as_of_date=date(2025, 1, 31))
    unfitted = unfitted_model_frame(
        "only 2 customers", config(), datetime(2025, 2, 1), date(2025, 1, 31), 2, "first_run"
    )
    for frame in (model_to_frame(model), unfitted, empty_model_frame()):
        relation = duckdb.from_df(frame)
        types = dict(zip(relation.columns, map(str, relation.types), strict=True))
        assert types["fit_message"] == "VARCHAR"
        assert types["null_fill_column"] == "VARCHAR"


def test_profile_values_are_centroids_in_original_units():
    frame = blobs()
    model = fit_segment_model(frame, config(n_clusters=4))
    table = model_to_frame(model)
    assigned = assign_segments(model, frame).merge(frame, on="customer_id")
    means = assigned.groupby("segment_id")[["a", "b"]].mean()
    for row in table.itertuples():
        # Untransformed features: the centroid is the members' mean.
        assert row.centroid_value == pytest.approx(means.loc[row.segment_id, row.feature_name])


def test_empty_or_mixed_model_tables_are_refused():
    with pytest.raises(ValueError, match="empty"):
        model_from_frame(model_to_frame(fit_segment_model(blobs(), config())).head(0))
    table = model_to_frame(fit_segment_model(blobs(), config()))
    table.loc[0, "_model_version"] = "other"
    with pytest.raises(ValueError, match="one stored model version"):
        model_from_frame(table)


def test_every_fit_records_its_quality():
    model = fit_segment_model(blobs(), config(n_clusters=4))
    assert model.quality.silhouette > 0.8  # four tight, far-apart blobs
    assert model.quality.davies_bouldin < 0.3
    assert model.quality.calinski_harabasz > 1000
    assert model.quality.inertia > 0
    sloppy = fit_segment_model(blobs(), config(n_clusters=2))
    assert sloppy.quality.silhouette < model.quality.silhouette


def test_above_the_cap_the_model_is_fitted_on_a_reproducible_sample():
    frame = blobs(500)
    model = fit_segment_model(frame, config(n_clusters=4, max_training_rows=300))
    assert (model.n_customers, model.n_training_rows) == (2000, 300)
    assert sum(model.segment_sizes) == 300
    again = fit_segment_model(frame, config(n_clusters=4, max_training_rows=300))
    np.testing.assert_array_equal(model.centroids, again.centroids)
    assert len(assign_segments(model, frame)) == 2000, "every customer is still scored"


def shifted(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The same four groups, resampled: what a retrain on fresh data sees."""
    return blobs(160, seed=seed).assign(customer_id=lambda f: f.customer_id + 10_000)


def test_a_retrain_keeps_ids_and_names_of_matching_segments():
    first = fit_segment_model(blobs(), config(n_clusters=4))
    # Make the retrain's size order differ from the first model's, so ids cannot match by
    # size rank alone: drop most of segment 1.
    frame = shifted(blobs(), seed=5)
    labels = assign_segments(first, frame)["segment_id"].to_numpy()
    frame = frame[(labels != 1) | (np.arange(len(frame)) % 4 == 0)]
    fresh = fit_segment_model(frame, config(n_clusters=4))
    second = fit_segment_model(frame, config(n_clusters=4), previous=first, next_segment_id=5)
    assert second.segment_ids == first.segment_ids == (1, 2, 3, 4)
    # Without the previous model the shrunken group would be renumbered last.
    assert not np.allclose(fresh.centroids, second.centroids)
    assert second.labels_by_id() == first.labels_by_id()
    before = assign_segments(first, frame)["segment_id"]
    after = assign_segments(second, frame)["segment_id"]
    assert (before.to_numpy() == after.to_numpy()).mean() > 0.99


def test_a_new_group_gets_a_never_used_id_and_a_vanished_one_is_retired():
    first = fit_segment_model(blobs(), config(n_clusters=4))
    # Drop the group at (10, 10) and add one at (20, 20).
    frame = blobs(seed=2)
    frame = frame[~((frame["a"] > 5) & (frame["b"] > 5))]
    rng = np.random.default_rng(4)
    far = pd.DataFrame(
        {
            "customer_id": np.arange(5000, 5150),
            "a": 20 + rng.normal(0, 0.7, 150),
            "b": 20 + rng.normal(0, 0.7, 150),
        }
    )
    frame = pd.concat([frame, far])
    second = fit_segment_model(frame, config(n_clusters=4), previous=first, next_segment_id=9)
    kept = set(second.segment_ids) & set(first.segment_ids)
    assert len(kept) == 3
    assert 9 in second.segment_ids, "the new group's id is new, not a reused 4"
    new_group = assign_segments(second, far)["segment_id"].unique()
    assert new_group.tolist() == [9]
    assert second.labels_by_id()[9].name not in {
        label.name for i, label in first.labels_by_id().items() if i in kept
    }


def test_ids_survive_a_change_of_the_feature_list_where_features_are_shared():
    frame = blobs().assign(c=lambda f: f["a"] * 0.5 + 3)
    first = fit_segment_model(frame, config(n_clusters=4))
    second = fit_segment_model(
        frame, config(features=["a", "b", "c"], n_clusters=4), previous=first, next_segment_id=5
    )
    pairs = pd.crosstab(
        assign_segments(first, frame)["segment_id"], assign_segments(second, frame)["segment_id"]
    )
    assert (np.diag(pairs.to_numpy()) == pairs.sum(axis=1).to_numpy()).all()


def test_assignment_ties_go_to_the_smaller_segment_id():
    model = fit_segment_model(blobs(), config(n_clusters=4))
    midpoint = model.centroids[[0, 1]].mean(axis=0)
    original = np.column_stack([t.inverse(midpoint[[i]]) for i, t in enumerate(model.transforms)])
    frame = pd.DataFrame({"customer_id": [1], "a": original[:, 0], "b": original[:, 1]})
    assert assign_segments(model, frame)["segment_id"].tolist() == [model.segment_ids[0]]


@pytest.mark.parametrize(
    ("stored", "requested", "expected"),
    [
        pytest.param(None, False, "no_model", id="nothing-stored"),
        pytest.param(None, True, "no_model", id="nothing-stored-and-requested"),
        pytest.param("same", False, None, id="stored-and-unchanged"),
        pytest.param("same", True, "requested", id="requested"),
        pytest.param("other", False, "config_changed", id="settings-changed"),
    ],
)
def test_a_model_is_trained_only_when_due(stored, requested, expected):
    current = config().fingerprint
    stored_fingerprint = {"same": current, "other": "0" * 12, None: None}[stored]
    assert why_retrain(stored_fingerprint, current, requested) == expected


def test_the_fingerprint_tracks_model_settings_only():
    base = config().fingerprint
    assert config(features=["b", "a"]).fingerprint != base
    assert config(k_max=5).fingerprint != base
    assert config(null_fills={"a": 0}).fingerprint != base
    assert config(max_training_rows=500).fingerprint != base
    assert config(id_match_max_distance=2.0).fingerprint == base


def test_train_if_due_appends_only_when_due_and_reads_features_only_then():
    frame = blobs().assign(as_of_date=pd.Timestamp("2025-01-31"))
    reads = []

    def load():
        reads.append(1)
        return frame

    first = train_if_due(None, load, config(n_clusters=4), False, datetime(2025, 2, 1))
    assert first["retrain_reason"].unique().tolist() == ["no_model"]
    assert first["as_of_date"].iloc[0] == pd.Timestamp("2025-01-31")
    unchanged = train_if_due(first, load, config(n_clusters=4), False, datetime(2025, 3, 1))
    assert unchanged.empty and list(unchanged.columns) == list(first.columns)
    assert len(reads) == 1, "a scoring run must not read the features"
    again = train_if_due(first, load, config(n_clusters=4), True, datetime(2025, 3, 1))
    assert again["retrain_reason"].unique().tolist() == ["requested"]
    assert set(again["segment_id"]) == set(first["segment_id"])
    history = pd.concat([first, again])
    changed = train_if_due(history, load, config(n_clusters=5), False, datetime(2025, 4, 1))
    assert changed["retrain_reason"].unique().tolist() == ["config_changed"]
    assert set(first["segment_id"]) < set(changed["segment_id"])
    assert changed["segment_id"].max() == 5, "the extra segment takes the next unused id"
    assert model_from_frame(latest_model_rows(pd.concat([history, changed]))).k == 5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(True, True, id="bool"),
        pytest.param("False", False, id="jinja-rendered-false"),
        pytest.param(" true ", True, id="padded-string"),
    ],
)
def test_flags_accept_booleans_and_rendered_vars(value, expected):
    assert parse_flag("retrain", value) is expected


def test_flags_refuse_anything_else():
    with pytest.raises(ClusteringConfigError, match="'retrain'"):
        parse_flag("retrain", "yes")


def test_a_text_feature_is_one_hot_encoded_over_its_most_frequent_values():
    frame = blobs()
    frame["tier"] = np.where(frame["a"] > frame["a"].median(), "gold", "silver")
    frame.loc[frame.index[:3], "tier"] = "bronze"
    frame.loc[frame.index[3], "tier"] = None
    model = fit_segment_model(frame, config(features=["a", "b", "tier"], max_categories=2))
    assert model.features == ("a", "b", "tier=gold", "tier=silver")
    by_name = {t.feature_name: t for t in model.transforms}
    assert by_name["tier=gold"].transform == "none"
    assert by_name["tier=gold"].impute_value == 0.0
    # Scoring derives the same indicators; a rare or missing value is in none of them.
    assigned = assign_segments(model, frame)
    assert len(assigned) == len(frame)
    encoded = with_indicators(frame, model.features)
    assert encoded.loc[frame.index[0], ["tier=gold", "tier=silver"]].tolist() == [0.0, 0.0]
    assert encoded.loc[frame.index[3], ["tier=gold", "tier=silver"]].tolist() == [0.0, 0.0]


def test_a_text_feature_without_values_cannot_be_fitted():
    frame = blobs().assign(tier=pd.Series([None] * len(blobs()), dtype="object"))
    with pytest.raises(ClusteringFitError, match="'tier' has no non-null values"):
        fit_segment_model(frame, config(features=["a", "tier"]))


def test_data_too_small_to_fit_stores_an_unfitted_run_and_scores_nothing():
    """Fewer customers than k: one row saying why, no segments; the next build retries."""
    frame = blobs().head(4)
    unfitted = train_if_due(None, lambda: frame, config(), retrain_requested=False)
    assert len(unfitted) == 1
    assert "only 4 customers" in unfitted["fit_message"].iloc[0]
    assert unfitted["segment_id"].isna().all()
    assert unfitted["retrain_reason"].iloc[0] == "no_model"
    retried = train_if_due(unfitted, blobs, config(), retrain_requested=False)
    assert retried["fit_message"].isna().all()
    assert retried["retrain_reason"].iloc[0] == "no_model"
    assert sorted(retried["segment_id"].unique()) == [1, 2, 3, 4]


def test_a_build_that_trains_nothing_imports_neither_scikit_learn_nor_scipy_stats():
    """Every build imports the packages of its Python models (segwarehouse.clustering,
    .naming, .clv, .experiments); most train nothing. scikit-learn and SciPy's optimize
    module took 1.6 s to import and scipy.stats 1.1 s (docs/benchmark.md): the first two are
    imported where a model is trained, and the A/B statistics use scipy.special."""
    loaded = modules_loaded_by(
        [
            "segwarehouse.clustering",
            "segwarehouse.naming",
            "segwarehouse.clv",
            "segwarehouse.experiments",
        ],
        ("sklearn", "scipy.optimize", "scipy.stats"),
    )
    assert loaded == []
