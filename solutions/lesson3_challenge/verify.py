"""The grader's own checks of lesson 3's graded cells, run outside the student's kernel (coursetools/trusted.py) on
what each cell exported, against the worlds of listeners recomputed here. Each check is named by its grade_id.

The challenge (gap 7) is scored on a hidden world drawn from the course's secret seed, which `make release` draws
(make_secret) and keeps in the course root. After the notebook's last cell, if the contract cell passed, the grader
hands the student's kernel that world's training listens as arrays (inputs_for), runs `answer_hidden` there, timed
from outside (AFTER), and scores the lists it exported here: the held-out listens, the metric and popularity's score
never enter the kernel."""

from __future__ import annotations

import io
import os
import secrets
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

import helpers
from helpers.challenge import HIDDEN, check_lists

K, SEED = 20, 0
# Recall@20 of the reference LightGCN (K = 3) on this world's test listens (the notebook states it):
# scripts/lesson3_seeds.py measures it. The hidden world's is measured by make_secret when the course is released.
REFERENCE = 0.3364
FIT_SECONDS = 60  # fitting and ranking every user of the hidden world, timed by the grader
# The grader's own run for the contract cell, after the last cell: what it hands in, and the line it runs.
AFTER = {"test_gap7_contract": (HIDDEN, "import helpers.challenge as _challenge\n_challenge.answer_hidden(fit_recommender)")}
NOTEBOOK = Path(__file__).with_name("lesson3_challenge.ipynb")
REFERENCE_MODEL = "LightGCN (K = 3)"
# A Recall@20 above the ranking by the world's true preferences (the ceiling) was not reached honestly: the lists saw
# the held-out listens. Over 7 worlds (seeds 0-5 and the tests' hidden one) the best honest method here, EASE^R on
# log(1 + plays), reaches 0.77 to 0.82 x the test ceiling, and the best EASE^R on 0/1 0.71 to 0.77 x the validation
# ceiling, while a rank-64 SVD of train and validation together passes the validation ceiling on all 7 (1.02 to
# 1.07 x; scripts/impossible_figures.py measures them). The margin left for honest noise is about a fifth of the
# ceiling, some 8 sd of the best method's spread between worlds.
CEILING_SHARE = 1.0  # x the ceiling: a Recall@20 above it scores 0 where it counts


@cache
def listeners(seed: int) -> SimpleNamespace:
    """The world drawn with `seed`, split as the notebook and the challenge split it, with its listen matrices."""
    data = helpers.make_listening_data(seed=seed)
    parts = helpers.split_per_user(data.listens, valid=0.1, test=0.2, seed=seed)
    train, valid, test = (helpers.listen_matrix(p, data.n_users, data.n_tracks) for p in parts)
    return SimpleNamespace(data=data, train=train, valid=valid, test=test, train_listens=parts[0])


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


def ceiling_recall(w: SimpleNamespace, held_out: sp.csr_matrix | None = None) -> float:
    """Recall@K on `held_out` (the test listens by default) of the generating model's own preferences: what no
    recommender can be expected to beat."""
    held_out = w.test if held_out is None else held_out
    users = np.flatnonzero(np.diff(held_out.indptr))
    return recall(top_k(w.data.preference[users], w.train[users]), held_out[users])


def above_ceiling(measured: float, ceiling: float) -> bool:
    """Whether a Recall@K is above what the true preferences reach, so that it cannot have been reached honestly."""
    return measured > CEILING_SHARE * ceiling


def comparison(seed: int):
    """The solution's comparison table on the world drawn with `seed` (the notebook run up to it, no further)."""
    import nbformat
    import pandas as pd
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code" and f"SEED = {SEED}" in c.source)
    first.source = first.source.replace(f"SEED = {SEED}", f"SEED = {seed}")
    end = next(i for i, c in enumerate(nb.cells) if c.source.startswith("comparison = ") or "\ncomparison = " in c.source)
    nb.cells = nb.cells[: end + 1] + [nbformat.v4.new_code_cell("print(comparison.to_json(orient='split'))")]
    saved = os.environ.pop("LASTFM_PATH", None)  # the generated world, whatever the maintainer's shell holds
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        if saved is not None:
            os.environ["LASTFM_PATH"] = saved
    return pd.read_json(io.StringIO(nb.cells[-1].outputs[0].text), orient="split")


def make_secret() -> dict:
    """A hidden world for this course: a seed no student can enumerate, and the reference LightGCN's test Recall@20
    there, measured by running the solution on it (about 30 s, once, at `make release`)."""
    seed = secrets.randbelow(2**62)
    return {"seed": seed, "reference_recall": round(float(comparison(seed).loc[REFERENCE_MODEL, "Recall@20"]), 4)}


def world(secret: dict | None = None, seed: int = SEED) -> SimpleNamespace:
    """The notebook's world (`seed`: the notebook's own unless a test asks for another) with popularity's and the true
    preferences' validation Recall@20 on it; with the course's secret, also the hidden world with popularity's, the
    reference's and the true preferences' test Recall@20 there."""
    w = listeners(seed)
    hidden = None
    if secret is not None:
        h = listeners(int(secret["seed"]))
        hidden = SimpleNamespace(**vars(h), popularity=popularity_recall(h, h.test), ceiling=ceiling_recall(h),
                                 reference=float(secret["reference_recall"]))
    return SimpleNamespace(**vars(w), popularity=popularity_recall(w, w.valid),
                           valid_ceiling=ceiling_recall(w, w.valid), hidden=hidden)


def inputs_for(name: str, w: SimpleNamespace) -> dict[str, np.ndarray]:
    """What the grader hands the kernel for its run `name`: the hidden world's training listens and tracks, and how
    many users to rank; never a held-out listen."""
    assert name == HIDDEN and w.hidden is not None, f"no inputs for {name!r}"
    train, tracks = w.hidden.train_listens, w.hidden.data.tracks
    return {"n_users": np.array(w.hidden.data.n_users),
            **{f"train_{c}": train[c].to_numpy() for c in ("user", "track", "plays")},
            **{f"tracks_{c}": tracks[c].to_numpy(dtype=str if c == "genre" else None) for c in ("track", "artist", "genre")}}


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
    assert np.isclose(float(got["loss"]), np.mean(np.log1p(np.exp(-(p - n)))), rtol=1e-4), \
        f"the BPR loss of 64 random pairs should be {np.mean(np.log1p(np.exp(-(p - n)))):.4f}; got {float(got['loss']):.4f}"
    assert np.isclose(float(got["far_below"]), (np.log(2) + 100) / 2, rtol=1e-4), \
        f"a positive 100 below its negative costs about 100; expected 50.35, got {float(got['far_below']):.4g} (use tf.math.log_sigmoid)"


def test_gap5_top_k(got, w) -> None:
    rng = np.random.default_rng(6)
    big = rng.normal(size=(40, 300))
    seen = sp.csr_matrix(rng.random((40, 300)) < 0.2)
    assert np.array_equal(got["big_after"], big), "top_k_unseen changed its scores"
    expected = np.argsort(-np.where(seen.toarray(), -np.inf, big), axis=1, kind="stable")[:, :25]
    assert np.array_equal(got["got"], expected), "the 25 best unseen tracks are wrong, or not best first"
    assert np.array_equal(got["negative"], expected), \
        "with every score negative the lists change: a heard track scored 0 beats them; mask with -np.inf"
    many = np.random.default_rng(0).random((5, 1000))
    assert got["many"].shape == (5, 200) and (np.diff(np.take_along_axis(many, got["many"], axis=1), axis=1) <= 0).all(), \
        "each list should be best first: np.argpartition finds the top k but leaves them unordered; sort them by score"


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
    loss = got["loss"].astype(float)
    assert loss.ndim == 1 and len(loss) >= 2 and loss[-1] < loss[0] < np.log(2), \
        f"the BPR loss should start below log 2 = 0.693 after 5 epochs and keep falling; it went {loss.round(4).tolist()}"
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
    assert not above_ceiling(mine, w.valid_ceiling), (
        f"LightGCN's validation Recall@20 {mine:.4f} is above the {w.valid_ceiling:.4f} of the true preferences, which "
        "no model trained on the training listens alone reaches: the model has seen the validation listens")
    assert abs(mine - float(got["recall"])) < 5e-3, "the reported validation Recall@20 is not this model's"
    assert mine >= 1.1 * w.popularity, f"LightGCN's validation Recall@20 {mine:.4f} is not 10% above popularity's"


def hidden_lists(got) -> np.ndarray:
    """The lists the student's recommender gave on the hidden world, in the grader's own run, or an AssertionError."""
    run = got.runs.get(HIDDEN)
    assert run is not None, "the grader did not run your recommender on its hidden world: the contract check failed first"
    assert not run["error"], (f"on the grader's hidden world your recommender raised {run['error']}: run it on "
                              "this world's train, or on a part of it, to see why")
    assert run["seconds"] <= FIT_SECONDS, (f"on the grader's hidden world, fitting and ranking took {run['seconds']:.1f} s, "
                                           f"timed by the grader; the challenge allows {FIT_SECONDS} s")
    assert "lists" in run, "on the grader's hidden world your recommender's lists could not be read (not integers?)"
    return run["lists"]


def hidden_recall(got, w) -> float:
    """The hidden world's lists' Recall@20, once this world's lists keep the contract too. Only the hidden world
    counts: the notebook's own world holds its test listens, so what a recommender scores there proves nothing."""
    assert w.hidden is not None, "the course has no hidden world: run `make release`, which draws it"
    this_users = np.flatnonzero(np.diff(w.test.indptr))
    check_lists(got["this"], len(this_users), w.data.n_tracks, K)  # the contract, on this world's lists too
    return hidden_score(got, w)[f"Recall@{K}"]


def challenge_ratios(got, w) -> tuple[float, float]:
    """The hidden world's lists' Recall@20 as a share of popularity's and of the reference's there, or an
    AssertionError if it is above the true preferences' ceiling, which no honest recommender reaches."""
    recall_there, h = hidden_recall(got, w), w.hidden
    assert not above_ceiling(recall_there, h.ceiling), (
        f"your Recall@20 {recall_there:.4f} on the hidden world is above the {h.ceiling:.4f} of its true preferences, "
        "which no honest recommender reaches: the lists have seen the held-out listens")
    return recall_there / h.popularity, recall_there / h.reference


def hidden_score(got, w) -> dict[str, float]:
    """Recall@20 and NDCG@20 of the hidden world's lists, on its held-out test listens."""
    h = w.hidden
    lists = check_lists(hidden_lists(got), h.data.n_users, h.data.n_tracks, K)
    users = np.flatnonzero(np.diff(h.test.indptr))
    return helpers.ranking_metrics(lists[users], h.test[users], K)[[f"Recall@{K}", f"NDCG@{K}"]].mean().to_dict()


def test_gap7_contract(got, w) -> dict:
    """The contract, and every figure of the hidden world for the leaderboard; a score above the ceiling passes here
    (the lists keep the contract) but is flagged, and scores 0 on the challenge's other three checks."""
    recall_there, h = hidden_recall(got, w), w.hidden
    score = hidden_score(got, w)
    above = above_ceiling(recall_there, h.ceiling)
    return {"hidden Recall@20": round(score[f"Recall@{K}"], 4), "hidden NDCG@20": round(score[f"NDCG@{K}"], 4),
            "popularity Recall@20": round(h.popularity, 4), "reference Recall@20": h.reference,
            "ceiling Recall@20": round(h.ceiling, 4), "ratio to popularity": round(recall_there / h.popularity, 3),
            "ratio to reference": round(recall_there / h.reference, 3),
            "seconds": round(got.runs[HIDDEN]["seconds"], 1),
            "flag": (f"above the ceiling of the true preferences ({h.ceiling:.4f}), which no honest recommender "
                     "reaches: look at this submission (it scores 0 on the challenge's other checks)") if above else ""}


def test_gap7_popularity(got, w) -> None:
    ratio = challenge_ratios(got, w)[0]
    assert ratio >= 0.99, f"popularity does better on the hidden world: yours is {ratio:.3f} x its Recall@20; 0.99 x is needed"


def test_gap7_near_lightgcn(got, w) -> None:
    ratio = challenge_ratios(got, w)[1]
    assert ratio >= 0.9, f"below 90% of LightGCN's Recall@20 on the hidden world: yours is {ratio:.3f} x the reference's"


def test_gap7_beats_lightgcn(got, w) -> None:
    ratio = challenge_ratios(got, w)[1]
    assert ratio > 1.0, f"LightGCN does better on the hidden world: yours is {ratio:.3f} x the reference's; above 1.00 x is needed"
