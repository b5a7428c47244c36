"""Ratings with real structure: users' tastes over genres, item quality, Gaussian noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.data import GENRES, _check_int


def make_taste_data(
    n_users: int = 2_000,
    n_items: int = 1_000,
    ratings_per_user: int = 100,
    noise_sd: float = 1.0,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (ratings, items); ratings has user_id, item_id, rating and the noise-free true_rating."""
    n_users = _check_int("n_users", n_users, 1)
    n_items = _check_int("n_items", n_items, 1)
    ratings_per_user = _check_int("ratings_per_user", ratings_per_user, 1)
    seed = _check_int("seed", seed, 0)
    if ratings_per_user > n_items:
        raise ValueError(f"ratings_per_user ({ratings_per_user}) cannot exceed n_items ({n_items})")
    if not np.isfinite(noise_sd) or noise_sd < 0:
        raise ValueError(f"noise_sd must be a finite number >= 0, got {noise_sd!r}")

    rng = np.random.default_rng(seed)
    n_genres = len(GENRES)
    # Each item has 1 or 2 genres; its genre vector has unit length.
    item_genres = np.zeros((n_items, n_genres))
    for item in range(n_items):
        item_genres[item, rng.choice(n_genres, size=rng.integers(1, 3), replace=False)] = 1
    unit_genres = item_genres / np.linalg.norm(item_genres, axis=1, keepdims=True)
    tastes = rng.normal(0.0, 1.5, size=(n_users, n_genres))  # how much each user likes each genre
    user_bias = rng.normal(0.0, 0.5, size=n_users)
    item_bias = rng.normal(0.0, 0.7, size=n_items)           # some films are simply better

    users = np.repeat(np.arange(n_users), ratings_per_user)
    items = np.concatenate([rng.choice(n_items, size=ratings_per_user, replace=False) for _ in range(n_users)])
    affinity = np.einsum("ij,ij->i", tastes[users], unit_genres[items])
    true_rating = np.clip(5.0 + user_bias[users] + item_bias[items] + affinity, 1, 9)
    rating = np.clip(true_rating + rng.normal(0.0, noise_sd, size=len(users)), 1, 9)

    ratings = pd.DataFrame({
        "user_id": users.astype(str), "item_id": items.astype(str),
        "rating": rating.round(2), "true_rating": true_rating.round(4),
    })
    names = np.array(GENRES)
    items_df = pd.DataFrame({
        "item_id": np.arange(n_items).astype(str),
        "genres": [", ".join(names[row.astype(bool)]) for row in item_genres],
    })
    return ratings, items_df
