"""The grader's own checks of lesson 3's graded cells, run outside the student's kernel (coursetools/trusted.py) on
what each cell exported, against the worlds of listeners recomputed here. Each check is named by its grade_id."""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

import helpers
from helpers.challenge import check_lists

K, SEED, HIDDEN_SEED = 20, 0, 5417
# Recall@20 of the reference LightGCN (K = 3) on each world's test listens: scripts/lesson3_seeds.py --hidden
REFERENCE = {SEED: 0.3364, HIDDEN_SEED: 0.3253}


@cache
def listeners(seed: int) -> SimpleNamespace:
    """The world drawn with `seed`, split as the notebook and the challenge split it, with its listen matrices."""
    data = helpers.make_listening_data(seed=seed)
    parts = helpers.split_per_user(data.listens, valid=0.1, test=0.2, seed=seed)
    train, valid, test = (helpers.listen_matrix(p, data.n_users, data.n_tracks) for p in parts)
    return SimpleNamespace(data=data, train=train, valid=valid, test=test)


def top_k(scores: np.ndarray, heard: sp.csr_matrix) -> np.ndarray:
    """Each row's K best tracks among those not heard, best first."""
    masked = np.array(scores, dtype=float)
    masked[heard.nonzero()] = -np.inf
    return np.argsort(-masked, axis=1, kind="stable")[:, :K]


def recall(lists: np.ndarray, held_out: sp.csr_matrix) -> float:
    """Mean Recall@K of `lists` (one row per user with held-out listens) on `held_out`."""
    return float(helpers.ranking_metrics(lists, held_out, K)[f"Recall@{K}"].mean())


def popularity_recall(w: SimpleNamespace, held_out: sp.csr_matrix) -> float:
    """Popularity's Recall@K on `held_out`, with what each user heard in training left out."""
    users = np.flatnonzero(np.diff(held_out.indptr))
    counts = np.asarray(w.train.sum(axis=0)).ravel().astype(float)
    return recall(top_k(np.tile(counts, (len(users), 1)), w.train[users]), held_out[users])


def normalized(R: sp.csr_matrix) -> sp.csr_matrix:
    """D^-1/2 A D^-1/2 of the users-tracks graph of R, worked out here."""
    A = sp.bmat([[None, R], [R.T, None]], format="csr").astype(float)
    degree = np.asarray(A.sum(axis=1)).ravel()
    scale = sp.diags(np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0))
    return (scale @ A @ scale).tocsr()


def world() -> SimpleNamespace:
    """The notebook's world (seed 0) and popularity's validation Recall@20 on it."""
    w = listeners(SEED)
    return SimpleNamespace(**vars(w), popularity=popularity_recall(w, w.valid))


def test_gap1_adjacency(got, w) -> None:
    rng = np.random.default_rng(3)  # the matrix the cell's hidden part used
    R = sp.csr_matrix((rng.random((30, 20)) < 0.15).astype(np.float32))
    assert np.allclose(got["dense"], normalized(R).toarray(), atol=1e-6), "the normalised adjacency is wrong"
    assert int(got["stored"]) == 2 * R.nnz, "only the edges should be stored"


def test_gap2_training_graph(got, w) -> None:
    indices, values = got["indices"], got["values"].astype(float)
    n = w.data.n_users + w.data.n_tracks
    assert tuple(got["shape"]) == (n, n) and indices.ndim == 2 and indices.shape == (len(values), 2), "A_hat has the wrong shape"
    graph = sp.csr_matrix((values, (indices[:, 0], indices[:, 1])), shape=(n, n))
    assert abs(graph - normalized(w.train)).max() < 1e-6, "A_hat is not the normalised graph of the training listens"


def test_gap3_propagate(got, w) -> None:
    rng = np.random.default_rng(4)  # the graph and embeddings the cell's hidden part used
    rng.random((25, 15))
    E = rng.normal(size=(40, 8)).astype(np.float32)
    A = got["A"].astype(float)
    layers = [E]
    for _ in range(3):
        layers.append(A @ layers[-1])
    assert A.shape == (40, 40) and np.allclose(got["result"], np.mean(layers, axis=0), atol=1e-5), \
        "propagate should give the mean of the layers E0 .. E3"


def test_gap4_bpr_loss(got, w) -> None:
    rng = np.random.default_rng(5)
    p, n = rng.normal(size=64).astype(np.float32), rng.normal(size=64).astype(np.float32)
    assert np.isclose(float(got["loss"]), np.mean(np.log1p(np.exp(-(p - n)))), rtol=1e-4), "the BPR loss is wrong"


def test_gap5_top_k(got, w) -> None:
    rng = np.random.default_rng(6)
    big = rng.normal(size=(40, 300))
    seen = sp.csr_matrix(rng.random((40, 300)) < 0.2)
    assert np.array_equal(got["big_after"], big), "top_k_unseen changed its scores"
    expected = np.argsort(-np.where(seen.toarray(), -np.inf, big), axis=1, kind="stable")[:, :25]
    assert np.array_equal(got["got"], expected), "the 25 best unseen tracks are wrong, or not best first"


def test_gap5_evaluation(got, w) -> None:
    lists = got["lists"]  # the visible check's lists for users 0 .. 299, from scores that favour heard tracks
    assert lists.shape == (300, K) and not np.asarray(w.train[np.arange(300)[:, None], lists].todense()).any(), \
        "a list holds a track played in training"
    counts = np.asarray(w.train.sum(axis=0)).ravel()
    noisy = counts + np.random.default_rng(8).random(counts.size) * 0.5
    users = np.flatnonzero(np.diff(w.valid.indptr))
    reference = helpers.ranking_metrics(top_k(np.tile(noisy, (len(users), 1)), w.train[users]), w.valid[users], K)
    assert np.array_equal(got["users"], users) and np.allclose(got["recall"], reference[f"Recall@{K}"]), \
        "evaluate's Recall@20 disagrees with the reference"
    assert np.isclose(got["popularity_recall"].mean(), w.popularity, atol=0.01), "popularity's validation Recall@20 is off"


def ease_recall(w: SimpleNamespace, lam: float) -> float:
    """EASE^R's validation Recall@K with `lam`, worked out here."""
    G = (w.train.T @ w.train).toarray() + lam * np.eye(w.train.shape[1])
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    users = np.flatnonzero(np.diff(w.valid.indptr))
    return recall(top_k(w.train[users] @ B, w.train[users]), w.valid[users])


def test_gap6_ease(got, w) -> None:
    rng = np.random.default_rng(7)
    X = (rng.random((60, 12)) < 0.3).astype(float)
    P = np.linalg.inv(X.T @ X + 5.0 * np.eye(12))
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    assert got["B"].shape == (12, 12) and np.allclose(got["B"], B, atol=1e-8), "EASE^R's weights are wrong"


def test_gap6_tuned(got, w) -> None:
    lam = float(got["lam"])
    assert lam in (30, 100, 300, 1000, 3000), f"lambda should be one of those tried; got {lam}"
    mine = ease_recall(w, lam)
    assert np.isclose(mine, float(got["recall"]), atol=2e-3), "ease_valid does not match EASE^R with that lambda"
    assert mine >= 1.1 * w.popularity, f"EASE^R's validation Recall@20 {mine:.4f} is not 10% above popularity's"


def test_gap4_trained_model(got, w) -> None:
    E0 = got["E0"].astype(float)
    n_users = w.data.n_users
    assert E0.ndim == 2 and E0.shape[0] == n_users + w.data.n_tracks, f"E0 has shape {E0.shape}"
    A = normalized(w.train)
    layers = [E0]
    for _ in range(3):
        layers.append(A @ layers[-1])
    final = np.mean(layers, axis=0)
    users = np.flatnonzero(np.diff(w.valid.indptr))
    mine = recall(top_k(final[users] @ final[n_users:].T, w.train[users]), w.valid[users])
    assert abs(mine - float(got["recall"])) < 5e-3, "the reported validation Recall@20 is not this model's"
    assert mine >= 1.1 * w.popularity, f"LightGCN's validation Recall@20 {mine:.4f} is not 10% above popularity's"


def challenge_ratios(got) -> dict[int, tuple[float, float]]:
    """Per world: the exported lists' Recall@20 as a share of popularity's and of the reference's."""
    ratios = {}
    for name, seed in (("this", SEED), ("hidden", HIDDEN_SEED)):
        w = listeners(seed)
        users = np.flatnonzero(np.diff(w.test.indptr))
        lists = check_lists(got[name], len(users), w.data.n_tracks, K)
        mine = recall(lists, w.test[users])
        ratios[seed] = (mine / popularity_recall(w, w.test), mine / REFERENCE[seed])
    return ratios


def test_gap7_contract(got, w) -> None:
    challenge_ratios(got)


def test_gap7_popularity(got, w) -> None:
    assert all(pop >= 0.99 for pop, _ in challenge_ratios(got).values()), "popularity does better"


def test_gap7_near_lightgcn(got, w) -> None:
    assert all(ref >= 0.9 for _, ref in challenge_ratios(got).values()), "below 90% of LightGCN's Recall@20"


def test_gap7_beats_lightgcn(got, w) -> None:
    assert all(ref > 1.0 for _, ref in challenge_ratios(got).values()), "LightGCN does better"
