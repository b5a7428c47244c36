"""Run lesson 3's solution on other worlds and print its comparison table for each, then the mean ± sd over them.

    python scripts/lesson3_seeds.py [--seeds 0 1 2] [--hidden SEED]

--hidden SEED also prints the reference LightGCN's and popularity's test Recall@20 on the world drawn with SEED,
as `make release` measures them for a course's hidden world (grading-secrets/lesson3_challenge.json): re-measure
the tests' known world (tests/lesson3_cases.py) and this world's reference (verify.py's REFERENCE, which the
notebook states) whenever the lesson's model, training or data generator changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from coursetools.trusted import CHECKS, lesson_checks  # noqa: E402

CHECKED = lesson_checks(ROOT / "solutions" / "lesson3_challenge" / CHECKS)
REFERENCE = CHECKED.REFERENCE_MODEL


def comparison(seed: int) -> pd.DataFrame:
    """The solution's comparison table on the world drawn with `seed` (verify.py's, which make release uses)."""
    return CHECKED.comparison(seed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--hidden", type=int, metavar="SEED", help="also measure the reference on this world")
    args = parser.parse_args()
    tables = {}
    for seed in args.seeds:
        tables[seed] = comparison(seed)
        print(f"seed {seed}\n{tables[seed].round(4).to_string()}\n", flush=True)
    numeric = pd.concat([t.apply(pd.to_numeric, errors="coerce") for t in tables.values()], keys=list(tables))
    grouped = numeric.groupby(level=1, sort=False)
    mean, sd = grouped.mean(), grouped.std()
    print(f"mean ± sd over seeds {args.seeds}")
    columns = [c for c in mean.columns if c.startswith(("Recall", "NDCG"))] + ["fit seconds", "peak MB"]
    print(pd.DataFrame({c: [f"{m:.4f} ± {s:.4f}" if c.startswith(("Recall", "NDCG")) else f"{m:.1f} ± {s:.1f}"
                            for m, s in zip(mean[c], sd[c])] for c in columns}, index=mean.index).to_string())
    if args.hidden is not None:
        seed = args.hidden
        table = comparison(seed)
        print(f"\nhidden world (seed {seed}): {REFERENCE} test Recall@20 = {table.loc[REFERENCE, 'Recall@20']:.4f}, "
              f"popularity {table.loc['popularity', 'Recall@20']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
