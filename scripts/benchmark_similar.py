"""Time the similar-items query over many items, and its memory beyond the item matrix.

    python scripts/benchmark_similar.py [--items 1000000] [--dim 64]

Also prints what the full n x n float64 similarity matrix would need instead.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from helpers.similar import normalise_rows, top_k_similar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    unit = normalise_rows(rng.normal(size=(args.items, args.dim)).astype(np.float32))
    print(f"item matrix: {args.items:,} x {args.dim} float32 = {unit.nbytes / 1e6:.0f} MB")
    top_k_similar(unit, 0, 10)  # warm-up
    seconds = []
    for query in rng.integers(0, args.items, size=args.queries):
        start = time.perf_counter()
        top_k_similar(unit, int(query), 10)
        seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    top_k_similar(unit, 1, 10)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"top-10 query: median {statistics.median(seconds) * 1e3:.1f} ms, "
          f"max {max(seconds) * 1e3:.1f} ms over {args.queries} queries; "
          f"peak memory beyond the matrix {peak / 1e6:.1f} MB")
    for n in (1_000, 10_000, 20_000, args.items):
        print(f"full {n:,} x {n:,} float64 similarity matrix: {n * n * 8 / 1e9:,.3f} GB")


if __name__ == "__main__":
    main()
