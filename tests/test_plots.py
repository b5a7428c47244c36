"""The plotting helpers draw what they claim and reject bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

import helpers


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_rating_distribution_bars_sum_to_ratings(film_data, tmp_path):
    ratings, _ = film_data
    ax = helpers.plot_rating_distribution(ratings)
    assert isinstance(ax, Axes)
    heights = [patch.get_height() for patch in ax.patches]
    assert len(heights) == 9
    assert sum(heights) == len(ratings)
    ax.figure.savefig(tmp_path / "ratings.png")


def test_genre_counts_one_bar_per_genre(film_data, tmp_path):
    _, items = film_data
    ax = helpers.plot_genre_counts(items)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == sorted(helpers.GENRES)
    widths = [patch.get_width() for patch in ax.patches]
    assert sum(widths) == items["genres"].str.count(",").sum() + len(items)
    assert widths == sorted(widths)
    ax.figure.savefig(tmp_path / "genres.png")


def test_similarity_heatmap_subsamples_large_matrices(tmp_path):
    matrix = np.eye(500)
    ax = helpers.plot_similarity_heatmap(matrix, max_items=40)
    shown = ax.images[0].get_array()
    assert shown.shape == (40, 40)
    np.testing.assert_array_equal(shown, np.eye(40))
    assert ax.get_title() == "Similarity of 40 of 500 items, evenly spaced"
    ax.figure.savefig(tmp_path / "heatmap.png")


def test_similarity_heatmap_title_does_not_repeat_the_count_when_all_are_shown():
    ax = helpers.plot_similarity_heatmap(np.eye(40), max_items=40)
    assert ax.get_title() == "Similarity of 40 items"


def test_similarity_heatmap_uses_dataframe_labels():
    frame = pd.DataFrame(np.eye(3), index=["a", "b", "c"], columns=["a", "b", "c"])
    ax = helpers.plot_similarity_heatmap(frame)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]


@pytest.mark.parametrize("bad", [np.ones((3, 4)), np.ones(3)])
def test_similarity_heatmap_rejects_non_square(bad):
    with pytest.raises(ValueError, match="matrix must be square"):
        helpers.plot_similarity_heatmap(bad)


def test_history_draws_train_and_validation(tmp_path):
    logs = {"root_mean_squared_error": [3.0, 2.7, 2.6], "val_root_mean_squared_error": [2.9, 2.7, 2.65]}
    ax = helpers.plot_history(logs)
    assert [line.get_label() for line in ax.get_lines()] == ["train", "validation"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), logs["root_mean_squared_error"])
    ax.figure.savefig(tmp_path / "history.png")


def test_history_draws_the_baseline_on_an_axis_that_does_not_magnify_noise():
    # An axis spanning only 2.568-2.584 makes noise look like a trend.
    logs = {"root_mean_squared_error": [2.58, 2.57, 2.568], "val_root_mean_squared_error": [2.58, 2.584, 2.58]}
    ax = helpers.plot_history(logs, baseline=2.575)
    assert [line.get_label() for line in ax.get_lines()] == ["train", "validation", "baseline (2.575)"]
    assert np.allclose(ax.get_ylim(), (0.8 * 2.575, 1.1 * 2.575))
    assert ax.get_ylabel() == "RMSE"
    far = helpers.plot_history({"root_mean_squared_error": [5.0, 1.0]}, baseline=2.5)
    assert far.get_ylim() == (1.0, 5.0), "the whole curve stays in view"
    assert helpers.plot_history({"loss": [1.0, 0.5]}, metric="loss").get_ylim()[0] == 0


def test_history_accepts_keras_history_object():
    class History:
        history = {"loss": [1.0, 0.5]}

    ax = helpers.plot_history(History(), metric="loss")
    assert len(ax.get_lines()) == 1


def test_history_unknown_metric_names_what_exists():
    with pytest.raises(KeyError, match="loss"):
        helpers.plot_history({"loss": [1.0]}, metric="rmse")
    with pytest.raises(ValueError, match="history"):
        helpers.plot_history([1.0, 2.0])


def test_embedding_map_one_series_per_label(tmp_path):
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(60, 8))
    labels = ["Drama", "Action", "Comedy"] * 20
    ax = helpers.plot_embedding_map(emb, labels)
    assert [c.get_label() for c in ax.collections] == ["Action", "Comedy", "Drama"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 60
    ax.figure.savefig(tmp_path / "embedding.png")


def test_embedding_map_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="one row per label"):
        helpers.plot_embedding_map(np.zeros((5, 3)), ["a"] * 4)


def test_missing_columns_raise_key_error():
    with pytest.raises(KeyError, match="rating"):
        helpers.plot_rating_distribution(pd.DataFrame({"x": [1]}))
    with pytest.raises(KeyError, match="genres"):
        helpers.plot_genre_counts(pd.DataFrame({"x": [1]}))
