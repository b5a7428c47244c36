"""Helpers for the recommender-systems course: data, plots and a Keras 2 set-up.

Importing this package sets TF_USE_LEGACY_KERAS=1 so that `tf.keras` is Keras 2,
which TensorFlow Recommenders needs. Import it before TensorFlow.
"""

from helpers.tfenv import use_keras2

use_keras2()

from helpers.data import GENRES, make_film_data  # noqa: E402
from helpers.plots import (  # noqa: E402
    plot_embedding_map,
    plot_genre_counts,
    plot_history,
    plot_rating_distribution,
    plot_similarity_heatmap,
)
from helpers.repro import seed_everything  # noqa: E402
from helpers.tfenv import import_tensorflow_quietly  # noqa: E402

__all__ = [
    "GENRES",
    "import_tensorflow_quietly",
    "make_film_data",
    "plot_embedding_map",
    "plot_genre_counts",
    "plot_history",
    "plot_rating_distribution",
    "plot_similarity_heatmap",
    "seed_everything",
]
