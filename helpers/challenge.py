"""Lesson 3's challenge: a pipeline's Recall@20 and NDCG@20 on a world, beside popularity's and a reference's
(`score_challenge`, which the notebook runs on its own world), and the grader's run on its hidden world
(`answer_hidden`), whose held-out listens never enter the notebook: the grading process scores those lists."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from helpers.exports import export, inputs
from helpers.music import listen_matrix, make_listening_data, ranking_metrics, split_per_user

K = 20
HIDDEN = "hidden_world"  # what the grader hands in (helpers.inputs) and what answer_hidden exports


@dataclass(frozen=True)
class ChallengeScore:
    """A pipeline's hidden Recall@20 and NDCG@20, popularity's Recall@20 on the same world, the reference's, and the
    ceiling's (the ranking by the world's true preferences)."""

    recall: float
    ndcg: float
    popularity_recall: float
    reference_recall: float
    fit_seconds: float
    world: str = "hidden world"
    lists: np.ndarray | None = field(default=None, repr=False, compare=False)  # what was scored: one row per user
    ceiling_recall: float = float("nan")
    recommend: Callable | None = field(default=None, repr=False, compare=False)  # what the pipeline returned
    heard: sp.csr_matrix | None = field(default=None, repr=False, compare=False)  # users x tracks: the training listens

    @property
    def ratio_to_popularity(self) -> float:
        """Recall@20 as a share of popularity's."""
        return self.recall / self.popularity_recall

    @property
    def ratio_to_reference(self) -> float:
        """Recall@20 as a share of the reference LightGCN's."""
        return self.recall / self.reference_recall

    def report(self) -> str:
        """One line with every figure."""
        return (f"{self.world}: Recall@20 {self.recall:.4f}, NDCG@20 {self.ndcg:.4f}; popularity {self.popularity_recall:.4f} "
                f"(yours is {self.ratio_to_popularity:.3f} x), reference LightGCN {self.reference_recall:.4f} "
                f"(yours is {self.ratio_to_reference:.3f} x); fitted in {self.fit_seconds:.1f} s"
                + ("" if np.isnan(self.ceiling_recall) else f"; the true preferences' ceiling {self.ceiling_recall:.4f}"))


def check_lists(lists: object, n_users: int, n_tracks: int, k: int) -> np.ndarray:
    """`lists` as an int array of shape (n_users, k) with distinct track ids per row, else an AssertionError saying why."""
    lists = np.asarray(lists)
    assert lists.shape == (n_users, k), f"recommend should give shape ({n_users}, {k}); got {lists.shape}"
    assert np.issubdtype(lists.dtype, np.integer), f"recommend should give integer track ids; got dtype {lists.dtype}"
    assert ((lists >= 0) & (lists < n_tracks)).all(), f"track ids run from 0 to {n_tracks - 1}"
    assert (np.diff(np.sort(lists, axis=1), axis=1) > 0).all(), "each list should hold k different tracks"
    return lists


def score_challenge(fit_recommender: Callable, seed: int, reference_recall: float,
                    world: str = "hidden world") -> ChallengeScore:
    """Fit `fit_recommender` on the training listens of the world drawn with `seed` and score its lists on that world's test listens."""
    data = make_listening_data(seed=seed)
    train, _, test = split_per_user(data.listens, valid=0.1, test=0.2, seed=seed)
    heard = listen_matrix(train, data.n_users, data.n_tracks)
    held_out = listen_matrix(test, data.n_users, data.n_tracks)
    users = np.flatnonzero(np.diff(held_out.indptr))
    start = time.perf_counter()
    recommend = fit_recommender(train.copy(), data.tracks.copy())
    fit_seconds = time.perf_counter() - start
    assert callable(recommend), f"fit_recommender should return a function recommend(user_ids, k); got {type(recommend).__name__}"
    lists = check_lists(recommend(users.copy(), K), len(users), data.n_tracks, K)
    # A track the user played in training cannot be among their test listens: in a list it is simply a miss.
    mine = ranking_metrics(lists, held_out[users], K).mean()
    popularity = np.asarray(heard.sum(axis=0)).ravel().astype(float)
    popular, ceiling = (recall_of_scores(scores, heard, held_out, users)
                        for scores in (np.tile(popularity, (len(users), 1)), data.preference[users]))
    return ChallengeScore(float(mine[f"Recall@{K}"]), float(mine[f"NDCG@{K}"]), popular, float(reference_recall),
                          fit_seconds, world, lists, ceiling, recommend, heard)


def recall_of_scores(scores: np.ndarray, heard, held_out, users: np.ndarray) -> float:
    """Recall@K on `held_out` of the lists that rank each of `users`' unheard tracks by `scores` (a row per user),
    equal scores in track order."""
    scores = np.array(scores, dtype=float)
    scores[heard[users].nonzero()] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, :K]
    return float(ranking_metrics(top, held_out[users], K)[f"Recall@{K}"].mean())


def answer_hidden(fit_recommender: Callable) -> None:
    """The grader's run, in the student's kernel: fit `fit_recommender` on the hidden world's training listens that
    the grader handed in, and export the top K of every user for the grader to score."""
    given = inputs(HIDDEN)
    train = pd.DataFrame({column: given[f"train_{column}"] for column in ("user", "track", "plays")})
    tracks = pd.DataFrame({column: given[f"tracks_{column}"] for column in ("track", "artist", "genre")})
    recommend = fit_recommender(train, tracks)
    export(HIDDEN, lists=np.asarray(recommend(np.arange(int(given["n_users"])), K)))
