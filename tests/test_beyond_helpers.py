"""Helpers for lesson 2: structured ratings, a scalable similar-items query, MovieLens offline."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.model_selection import train_test_split

import helpers
from helpers.movielens import ML100K_GENRES


# --- structured (taste) data ---------------------------------------------------------------

@pytest.fixture(scope="module")
def taste():
    return helpers.make_taste_data()


def test_taste_data_shape_and_ranges(taste):
    ratings, items = taste
    assert list(ratings.columns) == ["user_id", "item_id", "rating", "true_rating"]
    assert len(ratings) == 2_000 * 100 and ratings.groupby("user_id").size().eq(100).all()
    assert not ratings.duplicated(["user_id", "item_id"]).any()
    assert ratings["rating"].between(1, 9).all() and ratings["true_rating"].between(1, 9).all()
    assert len(items) == 1_000 and items["genres"].str.split(", ").str.len().between(1, 2).all()


def test_taste_data_noise_has_the_stated_size(taste):
    ratings, _ = taste
    residual = ratings["rating"] - ratings["true_rating"]
    assert 0.9 < residual.std() < 1.0  # sigma = 1, a little less after clipping to 1..9
    quiet, _ = helpers.make_taste_data(n_users=200, noise_sd=0.0)
    assert np.allclose(quiet["rating"], quiet["true_rating"], atol=0.01)


def test_taste_data_carries_signal_the_uniform_data_lacks(taste):
    ratings, _ = taste
    train, test = train_test_split(ratings, train_size=0.8, random_state=0)
    oracle = np.sqrt(((test["rating"] - test["true_rating"]) ** 2).mean())
    mean = np.sqrt(((test["rating"] - train["rating"].mean()) ** 2).mean())
    assert oracle < 1.0 and mean > 1.8, (oracle, mean)


def test_taste_data_is_repeatable_and_seeded():
    a, _ = helpers.make_taste_data(n_users=20, seed=3)
    b, _ = helpers.make_taste_data(n_users=20, seed=3)
    c, _ = helpers.make_taste_data(n_users=20, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"n_users": 0}, "n_users"), ({"ratings_per_user": 2000}, "ratings_per_user"),
    ({"noise_sd": -1.0}, "noise_sd"), ({"seed": -2}, "seed"),
])
def test_taste_data_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        helpers.make_taste_data(**kwargs)


# --- similar items without the n x n matrix ------------------------------------------------

def test_top_k_similar_matches_the_full_matrix_with_stable_ties(film_data):
    _, items = film_data
    genres = items["genres"].str.get_dummies(sep=", ").to_numpy()
    unit = helpers.normalise_rows(genres)
    full = cosine_similarity(genres)
    for query in (0, 99, 500):
        row = full[query].copy()
        row[query] = -np.inf
        assert helpers.top_k_similar(unit, query, 10).tolist() == np.argsort(-row, kind="stable")[:10].tolist()


def test_top_k_similar_on_random_vectors_agrees_with_sklearn():
    vectors = np.random.default_rng(0).normal(size=(500, 16))
    unit = helpers.normalise_rows(vectors)
    full = cosine_similarity(vectors)
    np.fill_diagonal(full, -np.inf)
    assert helpers.top_k_similar(unit, 7, 5).tolist() == np.argsort(-full[7])[:5].tolist()


def test_normalise_rows_keeps_zero_rows_zero():
    unit = helpers.normalise_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert unit.dtype == np.float32
    np.testing.assert_allclose(unit, [[0.6, 0.8], [0.0, 0.0]])


@pytest.mark.parametrize(("query", "k", "argument"), [(10, 3, "query"), (-1, 3, "query"), (0, 0, "k"), (0, 10, "k")])
def test_top_k_similar_bad_arguments(query, k, argument):
    with pytest.raises(ValueError, match=argument):
        helpers.top_k_similar(np.eye(10, dtype=np.float32), query, k)


def test_normalise_rows_rejects_1d():
    with pytest.raises(ValueError, match="vectors must be 2-D"):
        helpers.normalise_rows(np.ones(3))


# --- MovieLens-100k, offline --------------------------------------------------------------

def write_ml100k_fixture(folder):
    """A three-film, three-user MovieLens-100k folder in the original file formats."""
    folder.mkdir()
    (folder / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n")
    flags = {"242": "Comedy", "302": "Crime|Film-Noir|Mystery|Thriller", "377": "Children's|Comedy"}
    lines = []
    for item, title in (("242", "Kolya (1996)"), ("302", "L.A. Confidential (1997)"),
                        ("377", "Heavyweights (1994)")):
        on = set(flags[item].split("|"))
        bits = "|".join("1" if g in on else "0" for g in ML100K_GENRES)
        lines.append(f"{item}|{title}|24-Jan-1997||http://us.imdb.com/M/title-exact?x|{bits}")
    (folder / "u.item").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))


def test_movielens_loader_reads_the_original_format(tmp_path):
    write_ml100k_fixture(tmp_path / "ml-100k")
    ratings, items = helpers.load_movielens_100k(tmp_path / "ml-100k")
    assert list(ratings.itertuples(index=False, name=None)) == [("196", "242", 3), ("186", "302", 3), ("22", "377", 1)]
    assert items.set_index("item_id").loc["302", "genres"] == "Crime, Film-Noir, Mystery, Thriller"
    assert items.set_index("item_id").loc["377", "genres"] == "Children's, Comedy"
    assert list(items.columns) == ["item_id", "title", "genres"]


def test_movielens_missing_folder_says_where_to_get_it(tmp_path, monkeypatch):
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("no download may be tried"))
    with pytest.raises(FileNotFoundError, match=r"u\.data and u\.item.*grouplens\.org/datasets/movielens/100k"):
        helpers.load_movielens_100k(tmp_path / "nowhere")
