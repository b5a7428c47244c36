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
from helpers.movielens import load_movielens_100k  # noqa: E402
from helpers.repro import seed_everything  # noqa: E402
from helpers.similar import normalise_rows, top_k_similar  # noqa: E402
from helpers.taste import make_taste_data  # noqa: E402
from helpers.tfenv import import_tensorflow_quietly  # noqa: E402

__all__ = [
    "GENRES",
    "import_tensorflow_quietly",
    "load_movielens_100k",
    "make_film_data",
    "make_taste_data",
    "normalise_rows",
    "plot_embedding_map",
    "plot_genre_counts",
    "plot_history",
    "plot_rating_distribution",
    "plot_similarity_heatmap",
    "seed_everything",
    "top_k_similar",
]
