"""Measure the margins behind the bounds that flag figures no honest submission reaches (verify.py's NOISE_FLOOR in
lesson 2, RMSE_TOLERANCE's lower side in lesson 1, CEILING_SHARE in lesson 3), on several worlds:

    python scripts/impossible_figures.py [--seeds 0 1 2 3 4 5]    (lesson 3 also on the tests' hidden world)

Lesson 1: the test RMSE of the test ratings' own mean (known only in hindsight) against the training mean's.
Lesson 2: the test RMSE, as a share of the oracle's, of the generator's own formula (the best any model could do),
of the reference GMF, and of the same GMF fitted on train and test together (a model that has seen the test ratings).
Lesson 3: the Recall@20 of the best honest methods as a share of the true preferences' ceiling, on test and on
validation, and of a rank-64 SVD of train and validation together (a model that has seen the validation listens).
Re-run it whenever a generator, a split or a reference model changes, and update the figures in verify.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import helpers  # noqa: E402
from coursetools.trusted import CHECKS, lesson_checks  # noqa: E402
from lesson2_reference import checks as lesson2_checks, clipped_mean, fit_and_export, reference_namespace  # noqa: E402
from lesson3_cases import KNOWN_WORLD  # noqa: E402


def rmse(predicted, truth) -> float:
    """The root mean squared error."""
    return float(np.sqrt(np.mean((np.asarray(predicted, dtype=float) - np.asarray(truth, dtype=float)) ** 2)))


def lesson1(seeds: list[int]) -> None:
    """How far below the training mean's test RMSE the best constant in hindsight gets, per data seed (42 + seed)."""
    from sklearn.model_selection import train_test_split

    for seed in seeds:
        ratings, _ = helpers.make_film_data(seed=42 + seed)
        train, test = train_test_split(ratings, train_size=0.8, random_state=42)
        truth = test["rating"].to_numpy(dtype=float)
        gain = rmse(np.full(len(truth), train["rating"].mean()), truth) - rmse(np.full(len(truth), truth.mean()), truth)
        print(f"lesson 1, data seed {42 + seed}: the test ratings' own mean is {gain:.4f} below the training mean")


def lesson2(seeds: list[int]) -> None:
    """The best prediction, the reference and the reference fitted on the test ratings too, as x the oracle."""
    namespace, checks = reference_namespace(), lesson2_checks()
    folder = Path(__import__("tempfile").mkdtemp())
    for seed in seeds:
        w = checks.world(seed)
        truth, oracle = w.test["rating"], w.oracle_rmse
        shares = {"formula": rmse(clipped_mean(w.test["true_rating"]), truth) / oracle}
        for name, train in (("GMF", w.train), ("GMF on train + test", pd.concat([w.train, w.test]))):
            exported = np.load(fit_and_export(namespace, train, w.test, folder / f"{seed}-{len(train)}"))
            shares[name] = rmse(exported["predicted"], truth) / oracle
        figures = ", ".join(f"{name} {share:.4f} x" for name, share in shares.items())
        print(f"lesson 2, data seed {seed}: oracle {oracle:.4f}; {figures}")


def lesson3(seeds: list[int]) -> None:
    """The best honest methods and an SVD fitted on the validation listens too, as x the ceiling."""
    checks = lesson_checks(ROOT / "solutions" / "lesson3_challenge" / CHECKS)
    for seed in seeds:
        w = checks.listeners(seed)
        test_ceiling, valid_ceiling = checks.ceiling_recall(w), checks.ceiling_recall(w, w.valid)
        listens = w.train_listens
        plays = sp.csr_matrix((np.log1p(listens["plays"].to_numpy(dtype=float)), (listens["user"], listens["track"])),
                              shape=w.train.shape)
        users = np.flatnonzero(np.diff(w.test.indptr))
        scores = np.asarray(plays[users] @ ease(plays, 1000.0))
        on_plays = checks.recall(checks.top_k(scores, w.train[users]), w.test[users])
        best_ease = max(checks.ease_recall(w, lam) for lam in (30, 100, 300, 1000, 3000))
        seen = svd_recall(checks, w, (w.train + w.valid).sign().tocsr())
        print(f"lesson 3, seed {seed}: test ceiling {test_ceiling:.4f}, "
              f"EASE^R on plays {on_plays / test_ceiling:.3f} x; "
              f"validation ceiling {valid_ceiling:.4f}, best EASE^R {best_ease / valid_ceiling:.3f} x, "
              f"SVD of train + validation {seen / valid_ceiling:.3f} x")


def ease(X: sp.csr_matrix, lam: float) -> np.ndarray:
    """EASE^R's weights for X."""
    P = np.linalg.inv((X.T @ X).toarray() + lam * np.eye(X.shape[1]))
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    return B


def svd_recall(checks, w, R: sp.csr_matrix) -> float:
    """Validation Recall@20 of LightGCN's propagation (K = 3) of a rank-64 SVD of R, as the trained-model check
    measures it."""
    U, s, Vt = sp.linalg.svds(R.astype(float), k=64, v0=np.ones(min(R.shape)))
    A, layers = checks.normalized(w.train), [np.vstack([U * np.sqrt(s), Vt.T * np.sqrt(s)])]
    for _ in range(3):
        layers.append(A @ layers[-1])
    final, users = np.mean(layers, axis=0), np.flatnonzero(np.diff(w.valid.indptr))
    return checks.recall(checks.top_k(final[users] @ final[w.data.n_users:].T, w.train[users]), w.valid[users])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    args = parser.parse_args()
    lesson1(args.seeds)
    lesson3([*args.seeds, KNOWN_WORLD["seed"]])
    lesson2(args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
