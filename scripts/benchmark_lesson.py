"""Time a solution notebook from a cold kernel, its peak kernel memory, and GMF's RMSE over seeds.

    python scripts/benchmark_lesson.py [lesson] [--seeds 0 1 2 3 4]

Prints wall time, the slowest cells, the kernel's peak resident memory (VmHWM),
and for each seed the RMSE figures the lesson computes (GMF, baselines, oracle).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
REPORTED = ("gmf_rmse", "baseline_rmse", "oracle_rmse", "mean_rmse")
REPORT = f'import json; print("RESULT", json.dumps({{n: float(globals()[n]) for n in {REPORTED} if n in globals()}}))'
SEEDED = ("seed_everything({})", "random_state={}", "seed: int = {}")


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of process `pid` in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


def run(path: Path, seed: int | None = None) -> dict:
    """Execute the notebook in a fresh kernel; return timings, peak memory and the RMSE report."""
    nb = nbformat.read(path, as_version=4)
    if seed is not None:
        for cell in nb.cells:
            for pattern in SEEDED:
                cell.source = cell.source.replace(pattern.format(42), pattern.format(seed))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    cell_seconds = []
    start = time.perf_counter()
    with client.setup_kernel():
        pid = client.km.provisioner.pid
        for index, cell in enumerate(nb.cells):
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            cell_seconds.append((time.perf_counter() - t0, cell.source.splitlines()[0] if cell.source else ""))
        memory = peak_rss_mb(pid)
    total = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    report = json.loads(text.split("RESULT", 1)[1])
    return {"total": total, "memory": memory, "cells": sorted(cell_seconds, reverse=True)[:3], **report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson", nargs="?", default="lesson1_basics")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    path = ROOT / "solutions" / args.lesson / f"{args.lesson}.ipynb"
    cold = run(path)
    print(f"{args.lesson}: {cold['total']:.1f} s end to end from a cold kernel, "
          f"peak kernel memory {cold['memory']:.0f} MB")
    for seconds, first_line in cold["cells"]:
        print(f"  slow cell: {seconds:5.1f} s  {first_line[:70]}")
    for seed in args.seeds:
        r = run(path, seed)
        print(f"seed {seed}: " + "  ".join(f"{name} {r[name]:.4f}" for name in REPORTED if name in r))


if __name__ == "__main__":
    main()
