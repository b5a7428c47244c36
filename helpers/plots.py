"""Small plotting functions for the course; each returns the matplotlib Axes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6, 4)) -> Axes:
    """Return `ax`, or the Axes of a new figure."""
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


def _require_columns(df: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    """Raise KeyError naming `name` if `df` lacks any of `columns`."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{name} must have columns {list(columns)}; missing {missing}")


def plot_rating_distribution(ratings: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bar chart of how many ratings have each value."""
    _require_columns(ratings, "ratings", ["rating"])
    counts = ratings["rating"].value_counts().sort_index()
    ax = _axes(ax)
    ax.bar(counts.index.astype(str), counts.to_numpy(), color="tab:blue")
    ax.set(title="Rating distribution", xlabel="rating", ylabel="number of ratings")
    return ax


def plot_genre_counts(items: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Horizontal bar chart of how many items carry each genre."""
    _require_columns(items, "items", ["genres"])
    counts = items["genres"].str.split(",").explode().str.strip().value_counts()
    counts = counts.sort_values(kind="stable")
    ax = _axes(ax)
    ax.barh(counts.index, counts.to_numpy(), color="tab:green")
    ax.set(title="Items per genre", xlabel="number of items")
    return ax


def plot_similarity_heatmap(
    matrix: np.ndarray | pd.DataFrame, max_items: int = 50, ax: Axes | None = None,
) -> Axes:
    """Heatmap of a square similarity matrix, showing at most `max_items` evenly spaced rows."""
    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"matrix must be square 2-D, got shape {values.shape}")
    if max_items < 2:
        raise ValueError(f"max_items must be at least 2, got {max_items}")
    labels = list(matrix.index) if isinstance(matrix, pd.DataFrame) else list(range(len(values)))
    keep = np.unique(np.linspace(0, len(values) - 1, min(max_items, len(values))).astype(int))
    ax = _axes(ax, figsize=(6, 5))
    image = ax.imshow(values[np.ix_(keep, keep)], cmap="viridis", vmin=0, vmax=1)
    ax.figure.colorbar(image, ax=ax, label="similarity")
    step = max(1, len(keep) // 10)
    ticks = np.arange(0, len(keep), step)
    ax.set_xticks(ticks, [labels[keep[i]] for i in ticks], rotation=90)
    ax.set_yticks(ticks, [labels[keep[i]] for i in ticks])
    shown = f"{len(keep)} items" if len(keep) == len(values) else f"{len(keep)} of {len(values)} items, evenly spaced"
    ax.set(title=f"Similarity of {shown}", xlabel="item", ylabel="item")
    return ax


def plot_history(
    history: object, metric: str = "root_mean_squared_error", baseline: float | None = None, ax: Axes | None = None,
) -> Axes:
    """Training and validation curves of `metric` from a Keras History or its dict, with an optional baseline line."""
    logs: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise ValueError("history must be a Keras History or a dict of metric lists")
    if metric not in logs:
        raise KeyError(f"metric {metric!r} is not in the history; it has {sorted(logs)}")
    ax = _axes(ax)
    epochs = np.arange(1, len(logs[metric]) + 1)
    ax.plot(epochs, logs[metric], marker="o", label="train")
    if f"val_{metric}" in logs:
        ax.plot(epochs, logs[f"val_{metric}"], marker="o", label="validation")
    if baseline is None:
        ax.set_ylim(bottom=0)
    else:
        ax.axhline(baseline, color="grey", linestyle="--", label=f"baseline ({baseline:.3f})")
        # From 20 % below to 10 % above the baseline: a wiggle of 0.01 must not look like a trend.
        values = [*logs[metric], *logs.get(f"val_{metric}", []), baseline]
        ax.set_ylim(min(*values, 0.8 * baseline), max(*values, 1.1 * baseline))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title="Learning curve", xlabel="epoch", ylabel="RMSE" if metric == "root_mean_squared_error" else metric)
    ax.legend(loc="lower left")
    return ax


def plot_embedding_map(
    embeddings: np.ndarray, labels: Sequence[str], ax: Axes | None = None,
) -> Axes:
    """Scatter of embeddings projected to 2-D by PCA, one colour per label."""
    points = np.asarray(embeddings, dtype=float)
    if points.ndim != 2 or len(points) != len(labels):
        raise ValueError(
            f"embeddings must be 2-D with one row per label; got shape {points.shape} "
            f"and {len(labels)} labels"
        )
    from sklearn.decomposition import PCA  # imported here: scikit-learn is slow to import

    xy = PCA(n_components=2, random_state=0).fit_transform(points)
    ax = _axes(ax, figsize=(7, 5))
    names = pd.Series(list(labels))
    for name in sorted(names.unique()):
        mask = (names == name).to_numpy()
        ax.scatter(xy[mask, 0], xy[mask, 1], s=10, alpha=0.7, label=name)
    ax.set(title="Item embeddings (PCA)", xlabel="component 1", ylabel="component 2")
    ax.legend(fontsize="small", markerscale=2, bbox_to_anchor=(1.02, 1), loc="upper left")
    ax.figure.tight_layout()
    return ax
