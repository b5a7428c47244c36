"""The grader's own checks of lesson 2's graded cells, run outside the student's kernel (coursetools/trusted.py) on
what each cell exported, against the lesson's generated data recomputed here. Each check is named by its grade_id."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

import helpers
from helpers.thresholds import GMF_BELOW_MEAN as BELOW_MEAN  # the visible check's bounds, which the notebook reads too:
from helpers.thresholds import GMF_NEAR_ORACLE as NEAR_ORACLE  # within 1.25 x the oracle, 25 % below the mean

USER_COL, ITEM_COL, RATING_COL = "user_id", "item_id", "rating"
K = 10
# No model that has not seen the test ratings gets a test RMSE below the oracle's (the true ratings' own noise) but
# by the clipping of ratings to 1-9, which only the generator's own formula knows: that formula reaches 0.9965 to
# 0.9971 x the oracle on 6 worlds (data seeds 0-5), and the reference GMF 1.13 to 1.22 x. The same GMF trained on
# train and test together reaches 0.937 to 0.965 x (scripts/impossible_figures.py measures all three).
NOISE_FLOOR = 0.99  # x the oracle's test RMSE: below it, the model has seen the test ratings


def world(seed: int = 0) -> SimpleNamespace:
    """The generated taste data (graders never set MOVIELENS_PATH; the lesson's seed is 0), split and seen as the
    notebook does, with the test RMSE of the true ratings (the oracle) and of the training mean."""
    ratings, _ = helpers.make_taste_data(seed=seed)
    train, test = train_test_split(ratings, train_size=0.8, random_state=42)
    test = test[test[USER_COL].isin(train[USER_COL]) & test[ITEM_COL].isin(train[ITEM_COL])].reset_index(drop=True)
    items, users = pd.Index(np.unique(train[ITEM_COL])), pd.Index(np.unique(test[USER_COL]))
    rows = users.get_indexer(train[USER_COL])
    seen = np.zeros((len(users), len(items)), dtype=bool)
    seen[rows[rows >= 0], items.get_indexer(train[ITEM_COL])[rows >= 0]] = True
    truth = test[RATING_COL].to_numpy(dtype=float)
    return SimpleNamespace(train=train, test=test, seen=seen, oracle_rmse=rmse_of(test["true_rating"], truth),
                           mean_rmse=rmse_of(np.full(len(truth), train[RATING_COL].mean()), truth))


def rmse_of(predicted, truth) -> float:
    """The root mean squared error of `predicted` against `truth`."""
    return float(np.sqrt(np.mean((np.asarray(predicted, dtype=float) - np.asarray(truth, dtype=float)) ** 2)))


def weighted(v, R, m, C):
    """The weighted rating, worked out here."""
    return (v * R + m * C) / (v + m)


def test_gap1_weighted_rating(got, w) -> None:
    v, R = np.array([1, 3, 50, 10_000]), np.array([2.0, 9.0, 6.0, 7.0])
    for name, m, C in (("small_m", 1e-12, 5.0), ("large_m", 1e12, 5.0), ("m7", 7, 4.5)):
        assert np.allclose(got[name].astype(float), weighted(v, R, m, C)), f"weighted_rating(v, R, {m}, {C}) is wrong"
    assert np.allclose(got["series"].astype(float), weighted(np.array([1, 100]), np.array([9.0, 8.0]), 10, 5.0))


def test_gap2_user_profile(got, w) -> None:
    rng = np.random.default_rng(12)  # the case the cell's hidden part built
    genres = rng.integers(0, 2, size=(8, 5)).astype(float)
    rows, weights = rng.permutation(8)[:5], rng.integers(1, 10, size=5).astype(float)
    profile = got["profile"]
    assert profile.shape == (5,) and np.allclose(profile.astype(float), np.average(genres[rows], weights=weights, axis=0)), \
        "the profile is not the rating-weighted mean of the genre rows"


def ndcg(order: np.ndarray, relevant: set, k: int) -> float:
    """NDCG@k, worked out here."""
    dcg = sum(1 / np.log2(rank + 2) for rank, item in enumerate(order[:k]) if item in relevant)
    ideal = sum(1 / np.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def test_gap3_ndcg(got, w) -> None:
    rng = np.random.default_rng(21)  # the 20 lists the cell's hidden part scored
    orders, hits = rng.permuted(np.tile(np.arange(30), (20, 1)), axis=1), rng.random((20, 30)) < 0.3
    expected = [ndcg(o, set(np.flatnonzero(h).tolist()), 10) for o, h in zip(orders, hits)]
    assert got["ndcg"].shape == (20,) and np.allclose(got["ndcg"].astype(float), expected), "NDCG@10 is wrong"


def test_gap4_exclude_seen(got, w) -> None:
    big = np.random.default_rng(2).normal(size=(50, 40))  # the hidden part's scores and mask
    mask = np.random.default_rng(3).random((50, 40)) < 0.3
    assert np.array_equal(got["input_after"], big), "exclude_seen changed its input"
    assert np.array_equal(got["result"], np.where(mask, -np.inf, big)), "only the seen cells should become -inf"


def test_gap4_no_seen_recommended(got, w) -> None:
    lists = got["lists"]
    assert lists.shape == (len(w.seen), K) and lists.dtype.kind in "iu", f"got lists of shape {lists.shape}"
    assert not w.seen[np.arange(len(lists))[:, None], lists].any(), "a recommended item was already rated"


def test_gap5_prediction(got, w) -> None:
    added = got["got"].astype(float) - got["gmf_term"].astype(float)
    assert added.shape == (3, 1) and np.allclose(added.ravel(), [11.0, 32.0, 21.0], atol=1e-3), \
        "the prediction should add both biases to the GMF term"


def test_gap5_gmf_rmse(got, w) -> None:
    predicted, truth = got["predicted"].astype(float), w.test[RATING_COL].to_numpy(dtype=float)
    assert predicted.shape == truth.shape, f"expected {truth.size:,} test predictions; got shape {predicted.shape}"
    rmse, oracle, mean = rmse_of(predicted, truth), w.oracle_rmse, w.mean_rmse
    assert rmse >= NOISE_FLOOR * oracle, (
        f"the model's test RMSE {rmse:.3f} is below {NOISE_FLOOR} x the {oracle:.3f} of the true ratings' own noise, "
        "which no model reaches without the test ratings: the model has seen the test ratings (fit it on train only)")
    assert rmse <= NEAR_ORACLE * oracle and rmse <= BELOW_MEAN * mean, (
        f"the model's test RMSE {rmse:.3f} should be within {NEAR_ORACLE} x the oracle's {oracle:.3f} and "
        f"{1 - BELOW_MEAN:.0%} below the mean's {mean:.3f}")
    assert abs(rmse - float(got["gmf_rmse"])) < 1e-3, "gmf_rmse does not match the model's predictions"
    assert np.allclose(predicted, gmf_predictions(got, w.test), atol=1e-3), \
        "the predictions are not Dense(user * item) plus both biases, worked out from the model's own weights"


def rows_of(ids: np.ndarray, wanted: pd.Series, what: str) -> np.ndarray:
    """The row of each of `wanted` among the exported `ids` (each id once), or an AssertionError naming `what`."""
    ids = ids.astype(str)
    assert ids.ndim == 1 and len(np.unique(ids)) == len(ids), f"the exported {what} ids should each appear once"
    rows = pd.Index(ids).get_indexer(wanted.to_numpy(dtype=str))
    assert (rows >= 0).all(), f"the model's weights were exported for other {what}s than the test set's"
    return rows


def gmf_predictions(got, test: pd.DataFrame) -> np.ndarray:
    """The biased GMF's prediction of every test pair, worked out here from the weights the model exported (never
    from the notebook's gmf_scores, which a submission may redefine)."""
    users, items = rows_of(got["users"], test[USER_COL], "user"), rows_of(got["items"], test[ITEM_COL], "item")
    U, V, ub, ib = (got[name].astype(float) for name in ("user_vectors", "item_vectors", "user_bias", "item_bias"))
    weights, bias = got["combine"].astype(float), got["combine_bias"].astype(float)
    size = U.shape[-1]
    assert U.shape == (len(got["users"]), size) and V.shape == (len(got["items"]), size) \
        and ub.shape == (len(U), 1) and ib.shape == (len(V), 1) and weights.shape == (size, 1) and bias.shape == (1,), \
        "the model's exported weights have the wrong shapes"
    return (U[users] * V[items]) @ weights[:, 0] + bias[0] + ub[users, 0] + ib[items, 0]
