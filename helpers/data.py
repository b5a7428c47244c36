"""The course's random film data set, drawn exactly as in the source lesson."""

from __future__ import annotations

import numpy as np
import pandas as pd

GENRES: tuple[str, ...] = (
    "Action", "Comedy", "Drama", "Fantasy", "Horror",
    "Mystery", "Romance", "Thriller", "Western",
)


def _check_int(name: str, value: object, low: int) -> int:
    """Return `value` if it is an int >= `low`, else raise a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def make_film_data(
    n_users: int = 10_000,
    n_items: int = 1_000,
    items_per_user: tuple[int, int] = (3, 4),
    seed: int = 42,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (ratings, items): user_id/item_id/rating and item_id/genres, ids as strings."""
    n_users = _check_int("n_users", n_users, 1)
    n_items = _check_int("n_items", n_items, 1)
    seed = _check_int("seed", seed, 0)
    if not (isinstance(items_per_user, tuple) and len(items_per_user) == 2):
        raise ValueError(f"items_per_user must be a (low, high) tuple, got {items_per_user!r}")
    low = _check_int("items_per_user[0]", items_per_user[0], 1)
    high = _check_int("items_per_user[1]", items_per_user[1], low)
    if high > n_items:
        raise ValueError(
            f"items_per_user allows up to {high} items per user, but n_items is only {n_items}"
        )

    # One RandomState(seed) gives the same stream as the lesson's np.random.seed(seed).
    rng = np.random.RandomState(seed)
    item_ids = np.arange(n_items)
    users, items, ratings = [], [], []
    for user in range(n_users):
        count = rng.randint(low=low, high=high + 1)
        items.append(rng.choice(item_ids, size=count, replace=False))
        ratings.append(rng.randint(low=1, high=10, size=count))
        users.append(np.full(count, user))
    rating_df = pd.DataFrame({
        "user_id": np.concatenate(users).astype(str),
        "item_id": np.concatenate(items).astype(str),
        "rating": np.concatenate(ratings).astype(np.int64),
    })

    genre_strings = []
    for _ in item_ids:
        count = rng.randint(low=1, high=3)
        genre_strings.append(", ".join(rng.choice(GENRES, size=count, replace=False)))
    item_df = pd.DataFrame({"item_id": item_ids.astype(str), "genres": genre_strings})
    return rating_df, item_df
