"""Customer segmentation by k-means: preprocess -> choose k -> fit -> match ids -> name -> assign.

Every step is a pure function of its inputs and a fixed random state. The fitted model is a
plain dataclass that round-trips through a long table (one row per segment and feature), so
dbt keeps every trained version in a table and scores customers against the latest one in SQL.

Segment ids are stable across retrains: a new model's centroids are matched one-to-one to the
previous model's (optimal assignment on centroid distance, in the new model's standardized
units) and a matched segment keeps its id and name; an unmatched one gets a never-used id.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from segwarehouse.naming import SegmentLabel, label_segments

# scikit-learn and SciPy's optimize and spatial modules are imported where a model is trained,
# not here: a build that trains nothing (most daily builds) then skips their import, 1.2 s
# of its first Python model's time (docs/benchmark.md).

# Criterion name -> (scoring function's name in sklearn.metrics, True when larger is better).
K_SELECTION_CRITERIA: dict[str, tuple[str, bool]] = {
    "calinski_harabasz": ("calinski_harabasz_score", True),
    "silhouette": ("silhouette_score", True),
    "davies_bouldin": ("davies_bouldin_score", False),
}
ID_COLUMN = "customer_id"
# k-means sums each iteration's centroids per OpenMP thread, then adds the threads' sums in
# whichever order they finish: with several threads the centroids' last bits (and with them
# distances, quality scores and, on a near tie, a customer's segment) change from run to run
# and with the number of cores. Fits run on one thread so that the same data gives the same
# model; on the few cores a build shares with DuckDB that is not slower.
single_threaded = threadpool_limits.wrap(limits=1)


class ClusteringConfigError(ValueError):
    """A clustering setting is missing or invalid; the message names it and what is allowed."""


class ClusteringFitError(ValueError):
    """The data cannot be clustered as configured (too few customers or distinct values for
    k, a feature without values); the message says why. A build then stores an unfitted run
    and leaves the k-means segments null, rather than failing."""


@dataclass(frozen=True)
class ClusteringConfig:
    features: tuple[str, ...]
    # feature -> a constant, or the name of a column whose value replaces a null
    null_fills: Mapping[str, float | str]
    k_min: int
    k_max: int
    n_clusters: int | None
    k_selection_criterion: str
    k_selection_sample_size: int
    random_state: int
    skew_threshold: float
    n_init: int
    # Above this many customers the model is fitted on a seeded sample of this size.
    max_training_rows: int
    # Largest centroid distance (standardized units) at which a new segment inherits an old id.
    id_match_max_distance: float
    # A text (categorical) feature becomes one 0/1 indicator per value, for at most this many
    # of its most frequent values.
    max_categories: int

    @classmethod
    def from_settings(
        cls,
        *,
        features: Any,
        null_fills: Any,
        k_min: Any,
        k_max: Any,
        n_clusters: Any,
        k_selection_criterion: Any,
        k_selection_sample_size: Any,
        random_state: Any,
        skew_threshold: Any,
        n_init: Any,
        max_training_rows: Any,
        id_match_max_distance: Any,
        max_categories: Any,
    ) -> ClusteringConfig:
        """Validate settings as read from dbt model config; raise naming the bad setting."""
        if not isinstance(features, list | tuple) or not features:
            raise ClusteringConfigError(
                "config 'features' must be a non-empty list of feature column names, "
                f"got {features!r}"
            )
        if len(set(features)) != len(features):
            raise ClusteringConfigError(f"config 'features' lists a column twice: {features!r}")
        config = cls(
            features=tuple(str(feature) for feature in features),
            null_fills=_null_fills(null_fills, features),
            k_min=_integer("k_min", k_min, minimum=2),
            k_max=_integer("k_max", k_max, minimum=2),
            n_clusters=None if n_clusters is None else _integer("n_clusters", n_clusters, 1),
            k_selection_criterion=_one_of(
                "k_selection_criterion", k_selection_criterion, tuple(K_SELECTION_CRITERIA)
            ),
            k_selection_sample_size=_integer(
                "k_selection_sample_size", k_selection_sample_size, minimum=10
            ),
            random_state=_integer("random_state", random_state, minimum=0),
            skew_threshold=_number("skew_threshold", skew_threshold),
            n_init=_integer("n_init", n_init, minimum=1),
            max_training_rows=_integer("max_training_rows", max_training_rows, minimum=10),
            id_match_max_distance=_number("id_match_max_distance", id_match_max_distance),
            max_categories=_integer("max_categories", max_categories, minimum=1),
        )
        if config.id_match_max_distance < 0:
            raise ClusteringConfigError(
                f"config 'id_match_max_distance' must be >= 0, got {id_match_max_distance!r}"
            )
        if config.k_max < config.k_min:
            raise ClusteringConfigError(
                f"config 'k_max' ({config.k_max}) must be >= 'k_min' ({config.k_min})"
            )
        return config

    @property
    def fill_columns(self) -> dict[str, str]:
        return {f: v for f, v in self.null_fills.items() if isinstance(v, str)}

    @property
    def fill_values(self) -> dict[str, float]:
        return {f: float(v) for f, v in self.null_fills.items() if not isinstance(v, str)}

    @property
    def required_columns(self) -> tuple[str, ...]:
        return required_columns(self.features, self.fill_columns)

    @property
    def k_candidates(self) -> tuple[int, ...]:
        if self.n_clusters is not None:
            return (self.n_clusters,)
        return tuple(range(self.k_min, self.k_max + 1))

    @property
    def fingerprint(self) -> str:
        """Hash of every setting that shapes the fitted model; a change triggers a retrain.

        id_match_max_distance is left out: it only matters when a retrain happens anyway.
        """
        settings = {
            "features": list(self.features),
            "null_fills": dict(sorted(self.null_fills.items())),
            "k_candidates": list(self.k_candidates),
            "k_selection_criterion": self.k_selection_criterion,
            "k_selection_sample_size": self.k_selection_sample_size,
            "random_state": self.random_state,
            "skew_threshold": self.skew_threshold,
            "n_init": self.n_init,
            "max_training_rows": self.max_training_rows,
            "max_categories": self.max_categories,
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def _integer(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ClusteringConfigError(
            f"config '{name}' must be an integer >= {minimum}, got {value!r}"
        )
    return value


def _null_fills(value: Any, features: Sequence[str]) -> dict[str, float | str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ClusteringConfigError(
            f"config 'null_fills' must map features to a number or a column name, got {value!r}"
        )
    fills: dict[str, float | str] = {}
    for feature, fill in value.items():
        if feature not in features:
            raise ClusteringConfigError(
                f"config 'null_fills' names '{feature}', "
                f"which is not in 'features' {list(features)}: add it to 'features' or drop "
                "its fill (the default fills recency_days of customers with no order)"
            )
        if isinstance(fill, bool) or not isinstance(fill, int | float | str):
            raise ClusteringConfigError(
                f"config 'null_fills' for '{feature}' must be a number or a column name, "
                f"got {fill!r}"
            )
        if isinstance(fill, float) and not math.isfinite(fill):
            raise ClusteringConfigError(f"config 'null_fills' for '{feature}' must be finite")
        fills[str(feature)] = fill if isinstance(fill, str) else float(fill)
    return fills


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ClusteringConfigError(
            f"config '{name}' must be one of {list(allowed)}, got {value!r}"
        )
    return str(value)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClusteringConfigError(f"config '{name}' must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class FeatureTransform:
    """How one feature becomes one standardized model input."""

    feature_name: str
    transform: str  # "none" or "log1p"
    null_fill_column: str | None  # its value replaces a null first, when set
    impute_value: float  # then replaces any null left, in original units
    mean: float  # of the transformed values
    scale: float  # standard deviation of the transformed values (1 when constant)

    def forward(self, values: np.ndarray) -> np.ndarray:
        filled = np.where(np.isnan(values), self.impute_value, values)
        # log1p was chosen because training values were >= 0; a later negative (say, refunds
        # above spend) is clamped to 0 rather than turned into NaN. The SQL scorer does the same.
        transformed = np.log1p(np.maximum(filled, 0.0)) if self.transform == "log1p" else filled
        return (transformed - self.mean) / self.scale

    def inverse(self, standardized: np.ndarray) -> np.ndarray:
        transformed = standardized * self.scale + self.mean
        return np.expm1(transformed) if self.transform == "log1p" else transformed


def required_columns(features: Sequence[str], fill_columns: Mapping[str, str]) -> tuple[str, ...]:
    """The features, then each fill column that is not itself a feature, without repeats."""
    return tuple(dict.fromkeys([*features, *fill_columns.values()]))


def require_features(available: Sequence[str], features: Sequence[str]) -> None:
    """Raise, naming the setting and the allowed columns, when a feature does not exist."""
    missing = [feature for feature in features if feature not in available]
    if missing:
        close = difflib.get_close_matches(missing[0], list(available), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ClusteringConfigError(
            f"config 'features' names unknown columns {missing}{hint}; "
            f"available: {sorted(c for c in available if c != ID_COLUMN)}"
        )


INDICATOR_SEPARATOR = "="


def is_categorical(values: pd.Series) -> bool:
    """Text values (a category per customer), as opposed to numbers and booleans."""
    return not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values))


def indicator_name(column: str, value: str) -> str:
    """The 0/1 feature of one category of a text column: 'education=PhD'."""
    return f"{column}{INDICATOR_SEPARATOR}{value}"


def encode_categoricals(
    frame: pd.DataFrame, features: Sequence[str], max_categories: int
) -> tuple[pd.DataFrame, tuple[str, ...], frozenset[str]]:
    """One-hot encode the text features, for training.

    Each text feature is replaced by one 0/1 indicator per value, for its `max_categories`
    most frequent values (ties by value); a customer with another value or none has 0 in
    all of them. Returns the frame with the indicator columns added, the features with each
    text one replaced by its indicators, and the indicators' names. The SQL scorer computes
    the same indicators (int_customer_features_unpivoted).
    """
    expanded: list[str] = []
    indicators: dict[str, pd.Series] = {}
    for feature in features:
        if feature not in frame or not is_categorical(frame[feature]):
            expanded.append(feature)
            continue
        values = frame[feature].dropna().astype(str)
        counts = values.value_counts()
        if counts.empty:
            raise ClusteringFitError(f"feature '{feature}' has no non-null values to fit on")
        kept = sorted(counts.index, key=lambda value: (-counts[value], value))[:max_categories]
        for value in kept:
            name = indicator_name(feature, value)
            indicators[name] = (frame[feature].astype("string") == value).fillna(False)
            expanded.append(name)
    encoded = frame.assign(
        **{name: column.astype("float64") for name, column in indicators.items()}
    )
    return encoded, tuple(expanded), frozenset(indicators)


def with_indicators(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """`frame` with the indicator columns of a fitted model's features added, for scoring."""
    added = {}
    for feature in features:
        column, separator, value = feature.partition(INDICATOR_SEPARATOR)
        if separator and feature not in frame and column in frame:
            added[feature] = (
                (frame[column].astype("string") == value).fillna(False).astype("float64")
            )
    return frame.assign(**added)


def feature_matrix(
    frame: pd.DataFrame, features: Sequence[str], fill_columns: Mapping[str, str] | None = None
) -> np.ndarray:
    """Numeric matrix of the named columns of `frame`, nulls filled from `fill_columns`."""
    fill_columns = fill_columns or {}
    needed = required_columns(features, fill_columns)
    require_features(list(frame.columns), needed)
    try:
        numeric = frame[list(needed)].astype("float64")
    except (TypeError, ValueError) as error:
        raise ClusteringConfigError(
            f"config 'features' and 'null_fills' must name numeric columns: {error}"
        ) from error
    filled = [
        numeric[feature].fillna(numeric[fill_columns[feature]])
        if feature in fill_columns
        else numeric[feature]
        for feature in features
    ]
    return np.column_stack([column.to_numpy() for column in filled])


def fit_transforms(
    matrix: np.ndarray,
    features: Sequence[str],
    skew_threshold: float,
    fill_values: Mapping[str, float] | None = None,
    fill_columns: Mapping[str, str] | None = None,
    indicators: frozenset[str] = frozenset(),
) -> tuple[FeatureTransform, ...]:
    """Impute (configured constant, else median), log1p when skewed and non-negative, z-score.

    `matrix` already has column fills applied (feature_matrix); `fill_columns` is recorded so
    scoring can apply them again.
    """
    from sklearn import preprocessing

    fill_values = fill_values or {}
    fill_columns = fill_columns or {}
    transforms = []
    for column, feature in enumerate(features):
        values = matrix[:, column]
        observed = values[~np.isnan(values)]
        if feature in fill_values:
            impute_value = fill_values[feature]
        elif observed.size == 0:
            raise ClusteringFitError(f"feature '{feature}' has no non-null values to fit on")
        else:
            impute_value = float(np.median(observed))
        filled = np.where(np.isnan(values), impute_value, values)
        skewness = float(pd.Series(filled).skew()) if filled.size > 2 else 0.0
        # A 0/1 indicator is never log-transformed (log1p would only rescale it).
        is_skewed = (
            feature not in indicators
            and filled.min() >= 0
            and np.isfinite(skewness)
            and skewness > skew_threshold
        )
        transform = "log1p" if is_skewed else "none"
        transformed = np.log1p(filled) if is_skewed else filled
        scaler = preprocessing.StandardScaler().fit(transformed.reshape(-1, 1))
        transforms.append(
            FeatureTransform(
                feature_name=feature,
                transform=transform,
                null_fill_column=fill_columns.get(feature),
                impute_value=impute_value,
                mean=float(scaler.mean_[0]),
                scale=float(scaler.scale_[0]),
            )
        )
    return tuple(transforms)


def apply_transforms(matrix: np.ndarray, transforms: Sequence[FeatureTransform]) -> np.ndarray:
    return np.column_stack(
        [transform.forward(matrix[:, i]) for i, transform in enumerate(transforms)]
    )


def reproducible_sample(n_rows: int, sample_size: int, random_state: int) -> np.ndarray:
    """Sorted row indices of a seeded sample without replacement (all rows if few enough)."""
    if n_rows <= sample_size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(random_state).choice(n_rows, sample_size, replace=False))


@single_threaded
def select_k(
    standardized: np.ndarray,
    k_candidates: Sequence[int],
    criterion: str,
    sample_size: int,
    random_state: int,
    n_init: int,
) -> tuple[int, dict[int, float]]:
    """Pick the k whose k-means partition of a seeded sample scores best on `criterion`.

    Ties go to the smaller k; a k whose partition has fewer than k distinct segments scores NaN.
    """
    from sklearn import metrics
    from sklearn.cluster import KMeans

    score_name, larger_is_better = K_SELECTION_CRITERIA[criterion]
    score = getattr(metrics, score_name)
    sample = standardized[reproducible_sample(len(standardized), sample_size, random_state)]
    largest = max(k_candidates)
    if largest >= len(sample):
        raise ClusteringFitError(
            f"config 'k_max' ({largest}) must be below the number of rows sampled "
            f"({len(sample)}): lower 'k_max' or raise 'k_selection_sample_size'"
        )
    scores: dict[int, float] = {}
    for k in k_candidates:
        labels = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit_predict(sample)
        scores[k] = float(score(sample, labels)) if len(set(labels)) == k else float("nan")
    ranked = [k for k in k_candidates if np.isfinite(scores[k])]
    if not ranked:
        raise ClusteringFitError(
            f"no k in {list(k_candidates)} splits the sampled customers into k distinct "
            "segments: lower 'k_min'"
        )
    sign = 1.0 if larger_is_better else -1.0
    best = max(ranked, key=lambda k: (sign * scores[k], -k))
    return best, scores


@dataclass(frozen=True)
class ModelQuality:
    """How well separated the fitted segments are, on the training rows."""

    silhouette: float  # on a seeded sample of k_selection_sample_size rows; larger is better
    davies_bouldin: float  # smaller is better
    calinski_harabasz: float  # larger is better
    inertia: float  # k-means objective: within-segment sum of squared distances


@dataclass(frozen=True)
class SegmentModel:
    model_version: str
    trained_at: datetime
    as_of_date: date | None
    config_fingerprint: str
    retrain_reason: str  # a RETRAIN_REASONS value
    k: int
    k_selection_criterion: str  # a K_SELECTION_CRITERIA key, or "fixed" when set in config
    k_scores: dict[int, float]
    n_customers: int  # customers with features when the model was trained
    n_training_rows: int  # of which the model was fitted on (a seeded sample above the cap)
    random_state: int
    transforms: tuple[FeatureTransform, ...]
    segment_ids: tuple[int, ...]  # ascending; row i of centroids is segment segment_ids[i]
    centroids: np.ndarray  # (k, n_features), standardized units
    segment_sizes: tuple[int, ...]  # training rows per segment
    labels: tuple[SegmentLabel, ...]
    quality: ModelQuality

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(transform.feature_name for transform in self.transforms)

    @property
    def fill_columns(self) -> dict[str, str]:
        return {t.feature_name: t.null_fill_column for t in self.transforms if t.null_fill_column}

    @property
    def required_columns(self) -> tuple[str, ...]:
        return required_columns(self.features, self.fill_columns)

    def centroids_in_original_units(self) -> np.ndarray:
        return np.column_stack(
            [t.inverse(self.centroids[:, i]) for i, t in enumerate(self.transforms)]
        )

    def labels_by_id(self) -> dict[int, SegmentLabel]:
        return dict(zip(self.segment_ids, self.labels, strict=True))


RETRAIN_REASONS = ("no_model", "config_changed", "requested")


def why_retrain(
    latest_fingerprint: str | None, config_fingerprint: str, requested: bool
) -> str | None:
    """Why a new model must be trained now, or None to keep scoring with the stored one."""
    if latest_fingerprint is None:
        return "no_model"
    if latest_fingerprint != config_fingerprint:
        return "config_changed"
    if requested:
        return "requested"
    return None


def _model_version(
    trained_at: datetime,
    transforms: Sequence[FeatureTransform],
    segment_ids: Sequence[int],
    centroids: np.ndarray,
) -> str:
    """Hash of the training time and the fitted parameters: unique per training run."""
    payload = json.dumps(
        {
            "trained_at": trained_at.isoformat(),
            "transforms": [
                [t.feature_name, t.transform, t.null_fill_column, t.impute_value, t.mean, t.scale]
                for t in transforms
            ],
            "segment_ids": [int(i) for i in segment_ids],
            "centroids": np.round(centroids, 10).tolist(),
        }
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def match_segment_ids(
    previous: SegmentModel,
    transforms: Sequence[FeatureTransform],
    centroids: np.ndarray,
    sizes: Sequence[int],
    max_distance: float,
    next_id: int,
) -> tuple[int, ...]:
    """Segment id for each row of `centroids`, inherited from `previous` where they match.

    Previous centroids are mapped to original units, then through the new transforms, so both
    sets are compared in the new model's standardized units over the features they share. An
    optimal one-to-one assignment (Hungarian) pairs them; a pair farther apart than
    `max_distance` is no match. Unmatched segments get ids from `next_id` up, largest first.
    """
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    features = [t.feature_name for t in transforms]
    shared = [feature for feature in features if feature in previous.features]
    ids: list[int | None] = [None] * len(centroids)
    if shared:
        new_columns = [features.index(feature) for feature in shared]
        previous_original = previous.centroids_in_original_units()
        previous_in_new_units = np.column_stack(
            [
                transforms[column].forward(previous_original[:, previous.features.index(feature)])
                for feature, column in zip(shared, new_columns, strict=True)
            ]
        )
        distances = cdist(centroids[:, new_columns], previous_in_new_units)
        for new_row, previous_row in zip(*linear_sum_assignment(distances), strict=True):
            if distances[new_row, previous_row] <= max_distance:
                ids[new_row] = previous.segment_ids[previous_row]
    unmatched = sorted((i for i, id_ in enumerate(ids) if id_ is None), key=lambda i: -sizes[i])
    for offset, row in enumerate(unmatched):
        ids[row] = next_id + offset
    return tuple(int(id_) for id_ in ids if id_ is not None)


def _quality(
    standardized: np.ndarray, labels: np.ndarray, inertia: float, sample_size: int, seed: int
) -> ModelQuality:
    from sklearn import metrics

    sample = reproducible_sample(len(standardized), sample_size, seed)
    return ModelQuality(
        silhouette=float(metrics.silhouette_score(standardized[sample], labels[sample])),
        davies_bouldin=float(metrics.davies_bouldin_score(standardized, labels)),
        calinski_harabasz=float(metrics.calinski_harabasz_score(standardized, labels)),
        inertia=float(inertia),
    )


@single_threaded
def fit_segment_model(
    frame: pd.DataFrame,
    config: ClusteringConfig,
    as_of_date: date | None = None,
    trained_at: datetime | None = None,
    previous: SegmentModel | None = None,
    next_segment_id: int = 1,
    retrain_reason: str = "no_model",
) -> SegmentModel:
    """Fit transforms and k-means on `frame` (a seeded sample above max_training_rows).

    Without `previous`, segment ids run from `next_segment_id` by size, largest first. With it,
    matched segments keep their id and label (match_segment_ids); new ones count on from
    `next_segment_id`, which must exceed every id used before.
    """
    frame, features, indicators = encode_categoricals(frame, config.features, config.max_categories)
    all_rows = feature_matrix(frame, features, config.fill_columns)
    matrix = all_rows[
        reproducible_sample(len(all_rows), config.max_training_rows, config.random_state)
    ]
    if len(matrix) < max(config.k_candidates) + 1:
        raise ClusteringFitError(
            f"only {len(matrix)} customers to cluster; need more than k "
            f"({max(config.k_candidates)}, from config 'k_max' or 'n_clusters')"
        )
    # A customer without a category has 0 in each of its indicators.
    fill_values = {**config.fill_values, **dict.fromkeys(indicators, 0.0)}
    transforms = fit_transforms(
        matrix, features, config.skew_threshold, fill_values, config.fill_columns, indicators
    )
    standardized = apply_transforms(matrix, transforms)
    if config.n_clusters is not None:
        k, scores = config.n_clusters, {}
    else:
        k, scores = select_k(
            standardized,
            config.k_candidates,
            config.k_selection_criterion,
            config.k_selection_sample_size,
            config.random_state,
            config.n_init,
        )
    from sklearn.cluster import KMeans

    kmeans = KMeans(n_clusters=k, n_init=config.n_init, random_state=config.random_state).fit(
        standardized
    )
    sizes = np.bincount(kmeans.labels_, minlength=k)
    if (sizes == 0).any():
        raise ClusteringFitError(
            f"k-means found only {int((sizes > 0).sum())} distinct segments for k={k}: the "
            "customers have fewer distinct feature values than k; lower 'n_clusters' or 'k_max'"
        )
    # Order rows by size (largest first), then by centroid, so ids do not depend on k-means'
    # arbitrary label order.
    order = sorted(range(k), key=lambda i: (-sizes[i], tuple(kmeans.cluster_centers_[i])))
    centroids = kmeans.cluster_centers_[order]
    ordered_sizes = [int(sizes[i]) for i in order]
    if previous is None:
        segment_ids = tuple(range(next_segment_id, next_segment_id + k))
    else:
        segment_ids = match_segment_ids(
            previous,
            transforms,
            centroids,
            ordered_sizes,
            config.id_match_max_distance,
            next_segment_id,
        )
    by_id = np.argsort(segment_ids)
    segment_ids = tuple(segment_ids[i] for i in by_id)
    centroids = centroids[by_id]
    ordered_sizes = [ordered_sizes[i] for i in by_id]
    inherited = (
        {i: label for i, label in previous.labels_by_id().items() if i in segment_ids}
        if previous is not None
        else {}
    )
    original = np.column_stack([t.inverse(centroids[:, i]) for i, t in enumerate(transforms)])
    labels = label_segments(
        features,
        centroids,
        original,
        segment_ids,
        [size / len(matrix) for size in ordered_sizes],
        inherited,
    )
    trained_at = trained_at or datetime.now(UTC).replace(tzinfo=None)
    return SegmentModel(
        model_version=_model_version(trained_at, transforms, segment_ids, centroids),
        trained_at=trained_at,
        as_of_date=as_of_date,
        config_fingerprint=config.fingerprint,
        retrain_reason=retrain_reason,
        k=k,
        k_selection_criterion=config.k_selection_criterion if scores else "fixed",
        k_scores=scores,
        n_customers=len(all_rows),
        n_training_rows=len(matrix),
        random_state=config.random_state,
        transforms=transforms,
        segment_ids=segment_ids,
        centroids=centroids,
        segment_sizes=tuple(ordered_sizes),
        labels=tuple(labels[i] for i in segment_ids),
        quality=_quality(
            standardized,
            kmeans.labels_,
            kmeans.inertia_,
            config.k_selection_sample_size,
            config.random_state,
        ),
    )


def assign_segments(model: SegmentModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Nearest centroid (Euclidean, standardized units) for every row of `frame`.

    Equidistant centroids go to the smaller segment id, as in the SQL scorer.
    """
    frame = with_indicators(frame, model.features)
    matrix = feature_matrix(frame, model.features, model.fill_columns)
    standardized = apply_transforms(matrix, model.transforms)
    # One centroid at a time keeps memory at n x features, not n x k x features.
    squared = np.column_stack(
        [((standardized - centroid) ** 2).sum(axis=1) for centroid in model.centroids]
    )
    nearest = squared.argmin(axis=1)
    return pd.DataFrame(
        {
            ID_COLUMN: frame[ID_COLUMN].to_numpy(),
            "segment_id": np.asarray(model.segment_ids, dtype="int32")[nearest],
            "distance_to_centroid": np.sqrt(squared[np.arange(len(nearest)), nearest]),
        }
    )


# Column -> dtype of the stored model table, so an empty frame (no retrain) keeps its types.
MODEL_COLUMNS: dict[str, str] = {
    "_model_version": "object",
    "_trained_at": "datetime64[us]",
    "_config_fingerprint": "object",
    "retrain_reason": "object",
    "as_of_date": "datetime64[us]",
    "k": "int64",
    "k_selection_criterion": "object",
    "k_scores": "object",
    "n_customers": "int64",
    "n_training_rows": "int64",
    "random_state": "int64",
    "silhouette_score": "float64",
    "davies_bouldin_score": "float64",
    "calinski_harabasz_score": "float64",
    "inertia": "float64",
    "segment_id": "int64",
    "segment_name": "object",
    "segment_description": "object",
    "segment_size": "int64",
    "feature_position": "int64",
    "feature_name": "object",
    "feature_transform": "object",
    "null_fill_column": "object",
    "impute_value": "float64",
    "scaler_mean": "float64",
    "scaler_scale": "float64",
    "centroid_standardized": "float64",
    "centroid_value": "float64",
    # Why this run could not fit a model (then it has one row and no segments); null if it did.
    "fit_message": "object",
}


def _with_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas strings: an all-null object column would reach DuckDB as type
    NULL, which later rejects values (a unit test's fixture, a future fit_message)."""
    return frame.astype({c: "string" for c, dtype in MODEL_COLUMNS.items() if dtype == "object"})


def empty_model_frame() -> pd.DataFrame:
    return _with_text_columns(
        pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in MODEL_COLUMNS.items()})
    )


def model_to_frame(model: SegmentModel) -> pd.DataFrame:
    """The model as one row per segment and feature; run-level values repeat on every row."""
    original = model.centroids_in_original_units()
    rows = []
    for row, segment_id in enumerate(model.segment_ids):
        for position, transform in enumerate(model.transforms):
            rows.append(
                {
                    "_model_version": model.model_version,
                    "_trained_at": model.trained_at,
                    "_config_fingerprint": model.config_fingerprint,
                    "retrain_reason": model.retrain_reason,
                    "as_of_date": model.as_of_date,
                    "k": model.k,
                    "k_selection_criterion": model.k_selection_criterion,
                    "k_scores": json.dumps({str(k): v for k, v in model.k_scores.items()}),
                    "n_customers": model.n_customers,
                    "n_training_rows": model.n_training_rows,
                    "random_state": model.random_state,
                    "silhouette_score": model.quality.silhouette,
                    "davies_bouldin_score": model.quality.davies_bouldin,
                    "calinski_harabasz_score": model.quality.calinski_harabasz,
                    "inertia": model.quality.inertia,
                    "segment_id": segment_id,
                    "segment_name": model.labels[row].name,
                    "segment_description": model.labels[row].description,
                    "segment_size": model.segment_sizes[row],
                    "feature_position": position + 1,
                    "feature_name": transform.feature_name,
                    "feature_transform": transform.transform,
                    "null_fill_column": transform.null_fill_column,
                    "impute_value": transform.impute_value,
                    "scaler_mean": transform.mean,
                    "scaler_scale": transform.scale,
                    "centroid_standardized": float(model.centroids[row, position]),
                    "centroid_value": float(original[row, position]),
                    "fit_message": None,
                }
            )
    frame = pd.DataFrame(rows, columns=list(MODEL_COLUMNS))
    return _with_text_columns(
        frame.astype({"_trained_at": "datetime64[us]", "as_of_date": "datetime64[us]"})
    )


def latest_model_rows(history: pd.DataFrame, fitted_only: bool = False) -> pd.DataFrame:
    """The rows of the most recently trained model in a table of model versions (of the
    latest one that was fitted, with `fitted_only`)."""
    if fitted_only and "fit_message" in history:
        history = history[history["fit_message"].isna()]
    if history.empty:
        return history
    latest = history.sort_values(["_trained_at", "_model_version"]).iloc[-1]["_model_version"]
    return history[history["_model_version"] == latest]


def is_fitted(rows: pd.DataFrame) -> bool:
    """Whether a model version's rows hold a fitted model (not an unfitted run)."""
    return not rows.empty and ("fit_message" not in rows or bool(rows["fit_message"].isna().all()))


def unfitted_model_frame(
    message: str,
    config: ClusteringConfig,
    trained_at: datetime,
    as_of_date: date | None,
    n_customers: int,
    retrain_reason: str,
) -> pd.DataFrame:
    """One row recording a training run that could not fit a model, and why."""
    row = {column: None for column in MODEL_COLUMNS}
    row.update(
        {
            "_model_version": hashlib.sha256(
                f"{trained_at.isoformat()} {message}".encode()
            ).hexdigest()[:12],
            "_trained_at": trained_at,
            "_config_fingerprint": config.fingerprint,
            "retrain_reason": retrain_reason,
            "as_of_date": as_of_date,
            "n_customers": n_customers,
            "random_state": config.random_state,
            "fit_message": message,
        }
    )
    frame = pd.DataFrame([row], columns=list(MODEL_COLUMNS))
    nullable = {c: ("Int64" if t == "int64" else t) for c, t in MODEL_COLUMNS.items()}
    return _with_text_columns(frame.astype(nullable))


def model_from_frame(frame: pd.DataFrame) -> SegmentModel:
    """Inverse of model_to_frame."""
    if frame.empty:
        raise ValueError("the stored segment model is empty: fit it first")
    versions = frame["_model_version"].unique()
    if len(versions) != 1:
        raise ValueError(f"expected one stored model version, found {sorted(versions)}")
    frame = frame.sort_values(["segment_id", "feature_position"])
    first = frame.iloc[0]
    per_feature = frame[frame["segment_id"] == first["segment_id"]]
    per_segment = frame.groupby("segment_id", sort=True).first()
    transforms = tuple(
        FeatureTransform(
            feature_name=str(row.feature_name),
            transform=str(row.feature_transform),
            null_fill_column=None if pd.isna(row.null_fill_column) else str(row.null_fill_column),
            impute_value=float(row.impute_value),
            mean=float(row.scaler_mean),
            scale=float(row.scaler_scale),
        )
        for row in per_feature.itertuples()
    )
    k = int(first["k"])
    centroids = frame["centroid_standardized"].to_numpy(dtype="float64").reshape(k, -1)
    as_of = first["as_of_date"]
    return SegmentModel(
        model_version=str(first["_model_version"]),
        trained_at=pd.Timestamp(first["_trained_at"]).to_pydatetime(),
        as_of_date=None if pd.isna(as_of) else pd.Timestamp(as_of).date(),
        config_fingerprint=str(first["_config_fingerprint"]),
        retrain_reason=str(first["retrain_reason"]),
        k=k,
        k_selection_criterion=str(first["k_selection_criterion"]),
        k_scores={int(key): value for key, value in json.loads(first["k_scores"]).items()},
        n_customers=int(first["n_customers"]),
        n_training_rows=int(first["n_training_rows"]),
        random_state=int(first["random_state"]),
        transforms=transforms,
        segment_ids=tuple(int(i) for i in per_segment.index),
        centroids=centroids,
        segment_sizes=tuple(int(size) for size in per_segment["segment_size"]),
        labels=tuple(
            SegmentLabel(name=str(row.segment_name), description=str(row.segment_description))
            for row in per_segment.itertuples()
        ),
        quality=ModelQuality(
            silhouette=float(first["silhouette_score"]),
            davies_bouldin=float(first["davies_bouldin_score"]),
            calinski_harabasz=float(first["calinski_harabasz_score"]),
            inertia=float(first["inertia"]),
        ),
    )


def train_if_due(
    history: pd.DataFrame | None,
    load_features: Callable[[], pd.DataFrame],
    config: ClusteringConfig,
    retrain_requested: bool,
    trained_at: datetime | None = None,
) -> pd.DataFrame:
    """New model rows to append to `history` (all stored versions), or none when not due.

    A model is trained when none is stored, when the settings' fingerprint differs from the
    latest model's, or on request. `load_features` is only called then, so a scoring run
    reads nothing but the history.
    """
    latest_rows = latest_model_rows(history) if history is not None else None
    # An unfitted latest run counts as no model: the next build tries again.
    current = (
        model_from_frame(latest_rows)
        if latest_rows is not None and is_fitted(latest_rows)
        else None
    )
    reason = why_retrain(
        current.config_fingerprint if current else None, config.fingerprint, retrain_requested
    )
    if reason is None:
        return empty_model_frame()
    # Ids carry over from the latest fitted model, even across unfitted runs.
    fitted_rows = latest_model_rows(history, fitted_only=True) if history is not None else None
    previous = (
        model_from_frame(fitted_rows) if fitted_rows is not None and not fitted_rows.empty else None
    )
    features = load_features()
    as_of_values = features["as_of_date"].dropna().unique() if "as_of_date" in features else []
    as_of_date = pd.Timestamp(as_of_values[0]).date() if len(as_of_values) else None
    used_ids = history["segment_id"].dropna() if history is not None else pd.Series(dtype="int64")
    next_id = int(used_ids.max()) + 1 if len(used_ids) else 1
    trained_at = trained_at or datetime.now(UTC).replace(tzinfo=None)
    try:
        model = fit_segment_model(
            features,
            config,
            as_of_date=as_of_date,
            trained_at=trained_at,
            previous=previous,
            next_segment_id=next_id,
            retrain_reason=reason,
        )
    except ClusteringFitError as error:
        return unfitted_model_frame(
            str(error), config, trained_at, as_of_date, len(features), reason
        )
    return model_to_frame(model)


def parse_flag(name: str, value: Any) -> bool:
    """A boolean model setting; project vars reach YAML config as strings like 'False'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ClusteringConfigError(f"config '{name}' must be true or false, got {value!r}")
