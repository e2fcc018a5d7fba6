"""Customer segmentation by k-means: preprocess -> choose k -> fit -> assign.

Every step is a pure function of its inputs and a fixed random state. The fitted model is a
plain dataclass that round-trips through a long table (one row per segment and feature), so
dbt stores it as a model and a separate step scores customers against it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.preprocessing import StandardScaler

# Criterion name -> (scoring function, True when larger is better).
K_SELECTION_CRITERIA: dict[str, tuple[Any, bool]] = {
    "calinski_harabasz": (calinski_harabasz_score, True),
    "silhouette": (silhouette_score, True),
    "davies_bouldin": (davies_bouldin_score, False),
}
ID_COLUMN = "customer_id"


class ClusteringConfigError(ValueError):
    """A clustering setting is missing or invalid; the message names it and what is allowed."""


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
                f"which is not in 'features' {list(features)}"
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
        transformed = np.log1p(filled) if self.transform == "log1p" else filled
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
        raise ClusteringConfigError(
            f"config 'features' names unknown columns {missing}; "
            f"available: {sorted(c for c in available if c != ID_COLUMN)}"
        )


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
) -> tuple[FeatureTransform, ...]:
    """Impute (configured constant, else median), log1p when skewed and non-negative, z-score.

    `matrix` already has column fills applied (feature_matrix); `fill_columns` is recorded so
    scoring can apply them again.
    """
    fill_values = fill_values or {}
    fill_columns = fill_columns or {}
    transforms = []
    for column, feature in enumerate(features):
        values = matrix[:, column]
        observed = values[~np.isnan(values)]
        if feature in fill_values:
            impute_value = fill_values[feature]
        elif observed.size == 0:
            raise ClusteringConfigError(f"feature '{feature}' has no non-null values to fit on")
        else:
            impute_value = float(np.median(observed))
        filled = np.where(np.isnan(values), impute_value, values)
        skewness = float(pd.Series(filled).skew()) if filled.size > 2 else 0.0
        is_skewed = filled.min() >= 0 and np.isfinite(skewness) and skewness > skew_threshold
        transform = "log1p" if is_skewed else "none"
        transformed = np.log1p(filled) if is_skewed else filled
        scaler = StandardScaler().fit(transformed.reshape(-1, 1))
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
    score, larger_is_better = K_SELECTION_CRITERIA[criterion]
    sample = standardized[reproducible_sample(len(standardized), sample_size, random_state)]
    largest = max(k_candidates)
    if largest >= len(sample):
        raise ClusteringConfigError(
            f"config 'k_max' ({largest}) must be below the number of rows sampled "
            f"({len(sample)}): lower 'k_max' or raise 'k_selection_sample_size'"
        )
    scores: dict[int, float] = {}
    for k in k_candidates:
        labels = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit_predict(sample)
        scores[k] = float(score(sample, labels)) if len(set(labels)) == k else float("nan")
    ranked = [k for k in k_candidates if np.isfinite(scores[k])]
    if not ranked:
        raise ClusteringConfigError(
            f"no k in {list(k_candidates)} splits the sampled customers into k distinct "
            "segments: lower 'k_min'"
        )
    sign = 1.0 if larger_is_better else -1.0
    best = max(ranked, key=lambda k: (sign * scores[k], -k))
    return best, scores


@dataclass(frozen=True)
class SegmentModel:
    model_version: str
    trained_at: datetime
    as_of_date: date | None
    k: int
    k_selection_criterion: str  # a K_SELECTION_CRITERIA key, or "fixed" when set in config
    k_scores: dict[int, float]
    n_training_rows: int
    random_state: int
    transforms: tuple[FeatureTransform, ...]
    centroids: np.ndarray  # (k, n_features), standardized units, row i is segment i + 1
    segment_sizes: tuple[int, ...]

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


def _model_version(transforms: Sequence[FeatureTransform], centroids: np.ndarray) -> str:
    payload = json.dumps(
        {
            "transforms": [
                [t.feature_name, t.transform, t.null_fill_column, t.impute_value, t.mean, t.scale]
                for t in transforms
            ],
            "centroids": np.round(centroids, 10).tolist(),
        }
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def fit_segment_model(
    frame: pd.DataFrame,
    config: ClusteringConfig,
    as_of_date: date | None = None,
    trained_at: datetime | None = None,
) -> SegmentModel:
    """Fit transforms and k-means on all rows of `frame`; segment ids run 1..k by size."""
    matrix = feature_matrix(frame, config.features, config.fill_columns)
    if len(matrix) < max(config.k_candidates) + 1:
        raise ClusteringConfigError(
            f"only {len(matrix)} customers to cluster; need more than k "
            f"({max(config.k_candidates)}, from config 'k_max' or 'n_clusters')"
        )
    transforms = fit_transforms(
        matrix, config.features, config.skew_threshold, config.fill_values, config.fill_columns
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
    kmeans = KMeans(n_clusters=k, n_init=config.n_init, random_state=config.random_state).fit(
        standardized
    )
    sizes = np.bincount(kmeans.labels_, minlength=k)
    if (sizes == 0).any():
        raise ClusteringConfigError(
            f"k-means found only {int((sizes > 0).sum())} distinct segments for k={k}: the "
            "customers have fewer distinct feature values than k; lower 'n_clusters' or 'k_max'"
        )
    # Number segments by size (largest first), then by centroid, so ids do not depend on
    # k-means' arbitrary label order.
    order = sorted(range(k), key=lambda i: (-sizes[i], tuple(kmeans.cluster_centers_[i])))
    centroids = kmeans.cluster_centers_[order]
    return SegmentModel(
        model_version=_model_version(transforms, centroids),
        trained_at=trained_at or datetime.now(UTC).replace(tzinfo=None),
        as_of_date=as_of_date,
        k=k,
        k_selection_criterion=config.k_selection_criterion if scores else "fixed",
        k_scores=scores,
        n_training_rows=len(matrix),
        random_state=config.random_state,
        transforms=transforms,
        centroids=centroids,
        segment_sizes=tuple(int(sizes[i]) for i in order),
    )


def assign_segments(model: SegmentModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Nearest centroid (Euclidean, standardized units) for every row of `frame`."""
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
            "segment_id": (nearest + 1).astype("int32"),
            "distance_to_centroid": np.sqrt(squared[np.arange(len(nearest)), nearest]),
        }
    )


MODEL_COLUMNS: tuple[str, ...] = (
    "_model_version",
    "_trained_at",
    "as_of_date",
    "k",
    "k_selection_criterion",
    "k_scores",
    "n_training_rows",
    "random_state",
    "segment_id",
    "segment_size",
    "feature_position",
    "feature_name",
    "feature_transform",
    "null_fill_column",
    "impute_value",
    "scaler_mean",
    "scaler_scale",
    "centroid_standardized",
    "centroid_value",
)


def model_to_frame(model: SegmentModel) -> pd.DataFrame:
    """The model as one row per segment and feature; run-level values repeat on every row."""
    original = model.centroids_in_original_units()
    rows = []
    for segment in range(model.k):
        for position, transform in enumerate(model.transforms):
            rows.append(
                {
                    "_model_version": model.model_version,
                    "_trained_at": model.trained_at,
                    "as_of_date": model.as_of_date,
                    "k": model.k,
                    "k_selection_criterion": model.k_selection_criterion,
                    "k_scores": json.dumps({str(k): v for k, v in model.k_scores.items()}),
                    "n_training_rows": model.n_training_rows,
                    "random_state": model.random_state,
                    "segment_id": segment + 1,
                    "segment_size": model.segment_sizes[segment],
                    "feature_position": position + 1,
                    "feature_name": transform.feature_name,
                    "feature_transform": transform.transform,
                    "null_fill_column": transform.null_fill_column,
                    "impute_value": transform.impute_value,
                    "scaler_mean": transform.mean,
                    "scaler_scale": transform.scale,
                    "centroid_standardized": float(model.centroids[segment, position]),
                    "centroid_value": float(original[segment, position]),
                }
            )
    frame = pd.DataFrame(rows, columns=list(MODEL_COLUMNS))
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame


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
    sizes = frame.groupby("segment_id")["segment_size"].first()
    as_of = first["as_of_date"]
    return SegmentModel(
        model_version=str(first["_model_version"]),
        trained_at=pd.Timestamp(first["_trained_at"]).to_pydatetime(),
        as_of_date=None if pd.isna(as_of) else pd.Timestamp(as_of).date(),
        k=k,
        k_selection_criterion=str(first["k_selection_criterion"]),
        k_scores={int(key): value for key, value in json.loads(first["k_scores"]).items()},
        n_training_rows=int(first["n_training_rows"]),
        random_state=int(first["random_state"]),
        transforms=transforms,
        centroids=centroids,
        segment_sizes=tuple(int(size) for size in sizes),
    )
