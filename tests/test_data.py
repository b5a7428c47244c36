"""The data generator reproduces the source lesson's draws exactly."""

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

import helpers


def source_lesson_data(n_users: int, n_items: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The source lesson's generator, verbatim in logic, on numpy's global RNG."""
    np.random.seed(42)
    genres = ["Action", "Comedy", "Drama", "Fantasy", "Horror", "Mystery", "Romance", "Thriller", "Western"]
    rows = defaultdict(list)
    for uid in np.arange(n_users):
        k = np.random.randint(low=3, high=5)
        chosen = np.random.choice(np.arange(n_items), size=k, replace=False)
        stars = np.random.randint(low=1, high=10, size=k)
        for iid, r in zip(chosen, stars):
            rows["user_id"].append(uid)
            rows["item_id"].append(iid)
            rows["rating"].append(r)
    ratings = pd.DataFrame(rows)
    ratings[["user_id", "item_id"]] = ratings[["user_id", "item_id"]].astype(str)
    item_rows = defaultdict(list)
    for iid in np.arange(n_items):
        k = np.random.randint(low=1, high=3)
        item_rows["item_id"].append(iid)
        item_rows["genres"].append(", ".join(np.random.choice(genres, size=k, replace=False)))
    return ratings, pd.DataFrame(item_rows).astype(str)


def test_first_rating_rows(film_data):
    ratings, _ = film_data
    assert list(ratings.columns) == ["user_id", "item_id", "rating"]
    first = list(ratings.head(5).itertuples(index=False, name=None))
    assert first == [("0", "521", 2), ("0", "941", 8), ("0", "741", 2), ("1", "986", 5), ("1", "275", 5)]


def test_first_items(film_data):
    _, items = film_data
    assert list(items.columns) == ["item_id", "genres"]
    first = list(items.head(5).itertuples(index=False, name=None))
    assert first == [("0", "Romance, Action"), ("1", "Mystery"), ("2", "Drama, Western"),
                     ("3", "Fantasy, Horror"), ("4", "Comedy, Drama")]


def test_counts_and_ranges(film_data):
    ratings, items = film_data
    assert len(ratings) == 34_953
    assert ratings["user_id"].nunique() == 10_000
    assert len(items) == 1_000
    assert ratings["rating"].between(1, 9).all()
    assert ratings.groupby("user_id").size().between(3, 4).all()
    assert not ratings.duplicated(["user_id", "item_id"]).any()
    n_genres = items["genres"].str.split(", ").str.len()
    assert n_genres.between(1, 2).all()
    assert set(items["genres"].str.split(", ").explode()) == set(helpers.GENRES)


def test_ids_are_strings(film_data):
    ratings, items = film_data
    for column in (ratings["user_id"], ratings["item_id"], items["item_id"]):
        assert pd.api.types.is_string_dtype(column)
    assert ratings["rating"].dtype == np.int64


def test_matches_the_source_lesson_code_in_full():
    ratings, items = helpers.make_film_data(n_users=2_000, n_items=300)
    want_ratings, want_items = source_lesson_data(2_000, 300)
    pd.testing.assert_frame_equal(ratings, want_ratings, check_dtype=False)
    pd.testing.assert_frame_equal(items, want_items, check_dtype=False)


def test_seed_changes_the_draws_and_is_repeatable():
    a, _ = helpers.make_film_data(n_users=50, n_items=20, seed=1)
    b, _ = helpers.make_film_data(n_users=50, n_items=20, seed=1)
    c, _ = helpers.make_film_data(n_users=50, n_items=20, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_does_not_touch_the_global_rng():
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    helpers.make_film_data(n_users=5, n_items=10)
    assert np.random.rand() == expected


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"n_users": 0}, "n_users"),
        ({"n_items": 0}, "n_items"),
        ({"n_items": 3}, "items_per_user"),
        ({"items_per_user": (4, 3)}, r"items_per_user\[1\]"),
        ({"items_per_user": 3}, "items_per_user"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"n_users": True}, "n_users"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        helpers.make_film_data(**kwargs)
