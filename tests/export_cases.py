"""Wrong answers as the grader's own checks see them: for each graded cell, what it would export after a plausible
mistake, made from what the solution exported. Each must fail the lesson's check (test_lesson_notebooks.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lesson3_cases import KNOWN_WORLD


def changed(name: str, how: Callable) -> Callable:
    """A mistake that changes one exported array: (exports, checks) -> exports with how(array, checks) in place."""
    return lambda got, checks: {**got, name: how(got[name], checks)}


def random_lists(lists: np.ndarray, seed: int) -> np.ndarray:
    """Valid lists (k different tracks each) drawn at random: a recommender that learned nothing."""
    rng = np.random.default_rng(seed)
    n_tracks = int(lists.max()) + 1
    return np.array([rng.choice(n_tracks, size=lists.shape[1], replace=False) for _ in lists])


def popular_lists(lists: np.ndarray, world) -> np.ndarray:
    """The most played tracks that each user has not heard: popularity, the baseline (for every user of the world,
    as the grader's hidden run asks, or for those with test listens, as this world's score does)."""
    everyone = len(lists) == world.data.n_users
    users = np.arange(len(lists)) if everyone else np.flatnonzero(np.diff(world.test.indptr))
    counts = np.asarray(world.train.sum(axis=0)).ravel().astype(float)
    scores = np.tile(counts, (len(users), 1))
    scores[world.train[users].nonzero()] = -np.inf
    return np.argsort(-scores, axis=1, kind="stable")[:, :lists.shape[1]]


def both_worlds(how: Callable) -> Callable:
    """A challenge mistake made on this world's lists and on those of the grader's run on the hidden world alike
    (`hidden_lists`, which the test takes from that run and puts back into it)."""
    return lambda got, checks: {**got, "this": how(got["this"], checks.listeners(checks.SEED)),
                                "hidden_lists": how(got["hidden_lists"], checks.listeners(KNOWN_WORLD["seed"]))}


WRONG_EXPORTS = {
    "lesson1_basics": {
        "test_gap1_genre": ("the two genre columns swapped", changed("values", lambda v, _: v[:, ::-1])),
        "test_gap2_genre_matrix": ("one item's genres shifted by a column",
                                   changed("values", lambda v, _: np.vstack([np.roll(v[:1], 1, axis=1), v[1:]]))),
        "test_gap3_cosine": ("1 for items sharing any genre, not the cosine",
                             changed("corr_mat", lambda v, _: (v > 0).astype(float))),
        "test_top_k": ("the query among its own similar items", changed("similar_items", lambda v, _: np.append(v[:9], "99"))),
        "test_gap4_user_vocabulary": ("an id listed twice", changed("vocabulary", lambda v, _: np.append(v, v[0]))),
        "test_gap5_item_vocabulary": ("an id left out", changed("vocabulary", lambda v, _: v[1:])),
        "test_gap6_rating_model": ("the ratings' sign flipped", changed("got", lambda v, _: -v)),
        "test_gap7_ranking_task": ("the RMSE as the loss", changed("loss", lambda v, _: np.sqrt(v))),
        "test_gap8_training_rmse": ("predictions 0.3 too high", changed("predicted", lambda v, _: v + 0.3)),
    },
    "lesson2_beyond": {
        "test_gap1_weighted_rating": ("m and C weighed 10% off", changed("m7", lambda v, _: v * 1.1)),
        "test_gap2_user_profile": ("the profile scaled to sum to 1", changed("profile", lambda v, _: v / v.sum())),
        "test_gap3_ndcg": ("DCG divided by a larger ideal", changed("ndcg", lambda v, _: v * 0.9)),
        "test_gap4_exclude_seen": ("the scores changed in place", lambda got, _: {**got, "input_after": got["result"]}),
        "test_gap4_no_seen_recommended": (
            "each list led by an item the user rated",
            lambda got, checks: {**got, "lists": np.column_stack([checks.world().seen.argmax(axis=1), got["lists"][:, 1:]])}),
        "test_gap5_prediction": ("only the user bias added", changed("got", lambda v, _: v - [[10.0], [30.0], [20.0]])),
        "test_gap5_gmf_rmse": ("predictions for other pairs",
                               changed("predicted", lambda v, _: np.random.default_rng(0).permutation(v))),
    },
    "lesson3_challenge": {
        "test_gap1_adjacency": ("no normalisation", changed("dense", lambda v, _: (v > 0).astype(float))),
        "test_gap2_training_graph": ("edges of weight 1", changed("values", lambda v, _: np.ones_like(v))),
        "test_gap3_propagate": ("the sum of the layers", changed("result", lambda v, _: 4 * v)),
        "test_gap4_bpr_loss": ("the sum over the batch", changed("loss", lambda v, _: 64 * v)),
        "test_gap5_top_k": ("the lists worst first", changed("got", lambda v, _: v[:, ::-1])),
        "test_gap5_evaluation": ("the users' recalls mixed up", changed("recall", lambda v, _: v[::-1])),
        "test_gap6_ease": ("B transposed", changed("B", lambda v, _: v.T)),
        "test_gap6_tuned": ("a validation recall EASE^R does not reach", changed("recall", lambda v, _: v + 0.05)),
        "test_gap4_trained_model": ("the untrained embeddings",
                                    changed("E0", lambda v, _: np.random.default_rng(0).normal(0, 0.1, v.shape))),
        "test_gap7_contract": ("a track twice in every list",
                               both_worlds(lambda v, _: np.column_stack([v[:, :1], v[:, :-1]]))),
        "test_gap7_popularity": ("random lists", both_worlds(lambda v, _: random_lists(v, 0))),
        "test_gap7_near_lightgcn": ("popularity's lists", both_worlds(popular_lists)),
        "test_gap7_beats_lightgcn": ("popularity's lists", both_worlds(popular_lists)),
    },
}
