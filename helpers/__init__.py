"""Helpers for the recommender-systems course: data, plots and a Keras 2 set-up.

Importing this package sets TF_USE_LEGACY_KERAS=1 so that `tf.keras` is Keras 2,
which TensorFlow Recommenders needs. Import it before TensorFlow. The helpers
themselves load on first use, so `import helpers` does not pay for pandas,
matplotlib or scikit-learn until a cell needs them.
"""

from __future__ import annotations

import importlib

from helpers.tfenv import import_tensorflow_quietly, use_keras2  # noqa: F401  (re-exported)

use_keras2()

# name -> the module that defines it, imported on first access (PEP 562)
_LAZY = {
    "Cost": "helpers.cost",
    "check_traceable": "helpers.traced",
    "GENRES": "helpers.data",
    "Listening": "helpers.music",
    "export": "helpers.exports",
    "grading": "helpers.exports",
    "MUSIC_GENRES": "helpers.music",
    "listen_matrix": "helpers.music",
    "load_lastfm_2k": "helpers.lastfm",
    "make_listening_data": "helpers.music",
    "measure": "helpers.cost",
    "play_matrix": "helpers.music",
    "ranking_metrics": "helpers.music",
    "score_challenge": "helpers.challenge",
    "split_per_user": "helpers.music",
    "make_film_data": "helpers.data",
    "load_movielens_100k": "helpers.movielens",
    "make_taste_data": "helpers.taste",
    "plot_embedding_map": "helpers.plots",
    "plot_genre_counts": "helpers.plots",
    "plot_history": "helpers.plots",
    "plot_rating_distribution": "helpers.plots",
    "plot_similarity_heatmap": "helpers.plots",
    "seed_everything": "helpers.repro",
    "normalise_rows": "helpers.similar",
    "top_k_similar": "helpers.similar",
}

__all__ = sorted([*_LAZY, "import_tensorflow_quietly"])


def __getattr__(name: str) -> object:
    """Import the helper `name` from its module the first time it is used."""
    if name not in _LAZY:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The helpers, for tab completion."""
    return sorted({*globals(), *__all__})
