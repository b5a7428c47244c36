"""Lesson 3's graph at scale: the normalised adjacency and one propagation step on 200,000 nodes and 2 million edges.

    python scripts/benchmark_adjacency.py [--users 100000] [--tracks 100000] [--edges 2000000] [--runs 3]

Uses the solution's own `normalized_adjacency` and `propagate` (read from the notebook).
Prints the adjacency's build time and memory against the dense matrix it avoids, and one
propagation step (64-dimensional embeddings) against the floor: the same sparse product
done by scipy's CSR matrix, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import helpers  # noqa: E402  (sets Keras 2 before TensorFlow loads)

LESSON = ROOT / "solutions" / "lesson3_challenge" / "lesson3_challenge.ipynb"


def lesson_functions() -> dict:
    """normalized_adjacency and propagate as the solution notebook defines them."""
    tf = helpers.import_tensorflow_quietly()
    space = {"np": np, "sp": sp, "tf": tf}
    for cell in nbformat.read(LESSON, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in ("gap1_adjacency", "gap3_propagate"):
            exec(cell.source, space)  # noqa: S102  (the course's own solution code)
    return space


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=2_000_000, help="user-track edges (each is stored twice in A)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    space = lesson_functions()
    tf = space["tf"]
    rng = np.random.default_rng(0)
    weights = 1 / np.arange(1, args.tracks + 1) ** 0.8  # a long tail of track popularity
    draws = int(1.3 * args.edges)
    keys = rng.integers(args.users, size=draws) * args.tracks + rng.choice(args.tracks, size=draws, p=weights / weights.sum())
    keys = rng.permutation(np.unique(keys))[: args.edges]  # distinct user-track pairs
    R = sp.csr_matrix((np.ones(keys.size, dtype=np.float32), (keys // args.tracks, keys % args.tracks)),
                      shape=(args.users, args.tracks))
    nodes = args.users + args.tracks
    with helpers.measure() as cost:
        A_hat = space["normalized_adjacency"](R)
    nnz = int(A_hat.values.shape[0])
    stored = A_hat.indices.numpy().nbytes + A_hat.values.numpy().nbytes
    print(f"graph: {nodes:,} nodes, {R.nnz:,} edges ({nnz:,} non-zeros in A_hat)")
    print(f"normalized_adjacency: {cost.seconds:.1f} s, peak {cost.peak_mb:.0f} MB above the start; "
          f"the SparseTensor holds {stored / 2**20:.0f} MB ({stored / nnz:.0f} bytes per non-zero); "
          f"a dense float32 matrix would need {4 * nodes ** 2 / 2**30:,.0f} GB")
    E = tf.random.normal((nodes, 64), seed=0)
    csr = sp.csr_matrix((A_hat.values.numpy(), (A_hat.indices.numpy()[:, 0], A_hat.indices.numpy()[:, 1])), shape=(nodes, nodes))
    E_np = E.numpy()

    def timed(step) -> float:
        step()  # warm up
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    floor = timed(lambda: csr @ E_np)
    one = timed(lambda: tf.sparse.sparse_dense_matmul(A_hat, E).numpy())
    three = timed(lambda: space["propagate"](A_hat, E, 3).numpy())
    print(f"floor: scipy CSR product, 64 columns          {floor:6.3f} s")
    print(f"one propagation step (tf.sparse)              {one:6.3f} s  {one / floor:4.1f}x floor")
    print(f"propagate with K = 3 (3 steps and the mean)   {three:6.3f} s  {three / floor:4.1f}x floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
