"""Time each solution notebook from a cold kernel against the floor, and its RMSE margins over seeds.

    python scripts/benchmark_lesson.py [lesson ...] [--runs 3] [--seeds 0 1 2 3 4]

Prints, as medians of --runs: the floor (a fresh kernel importing TensorFlow and
TFRS, measured before each run of the lessons, so that a slow spell of the
machine slows both), `import helpers` in a fresh interpreter, and each lesson
top to bottom with its ratio to the floor, its peak kernel memory and its slowest cells. Then, for
each seed, the RMSE figures the lesson computes and the margin its check allows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import nbformat

from benchmark_floor import ROOT, figure, floor_once, median_of, run_cells

RATIO_GOALS = {"lesson1_basics": 1.8, "lesson2_beyond": 3.5, "lesson3_challenge": 4.0}
BUDGETS = {"lesson3_challenge": "budget: <= 2 GB; no cell over 15 s, a quarter of the 60 s cell timeout"}
REPORTED = ("gmf_rmse", "baseline_rmse", "oracle_rmse", "mean_rmse")
REPORT = f'import json; print("RESULT", json.dumps({{n: float(globals()[n]) for n in {REPORTED} if n in globals()}}))'
SEEDED = ("seed_everything({})", "random_state={}", "seed: int = {}")
IMPORT_HELPERS = "import time; t = time.perf_counter(); import helpers; print(time.perf_counter() - t)"


def lesson_path(lesson: str) -> Path:
    """The solution notebook of `lesson`; FileNotFoundError names the lessons there are."""
    path = ROOT / "solutions" / lesson / f"{lesson}.ipynb"
    if not path.exists():
        known = ", ".join(sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()))
        raise FileNotFoundError(f"no lesson {lesson!r} in solutions/ (there are: {known})")
    return path


def run(path: Path, seed: int | None = None) -> dict:
    """Execute the notebook in a fresh kernel: seconds, seconds per cell, peak memory, RMSE report."""
    nb = nbformat.read(path, as_version=4)
    if seed is not None:
        for cell in nb.cells:
            for pattern in SEEDED:
                cell.source = cell.source.replace(pattern.format(42), pattern.format(seed))
    nb.cells.append(nbformat.v4.new_code_cell(f"{REPORT}\nprint('PEAK', open('/proc/self/status').read())"))
    total, cell_seconds = run_cells(nb, path.parent)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    report = json.loads(text.split("RESULT", 1)[1].split("\n", 1)[0])
    memory = next(int(line.split()[1]) / 1024 for line in text.splitlines() if line.startswith("VmHWM:"))
    return {"total": total, "cells": cell_seconds[:-1], "memory": memory, "nb": nb, **report}


def import_helpers_seconds() -> float:
    """Seconds `import helpers` takes in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", IMPORT_HELPERS], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return float(out)


def margins(lesson: str, r: dict) -> str:
    """What the lesson's RMSE check allows, and how close this run came."""
    if "oracle_rmse" in r:
        return f"GMF / oracle {r['gmf_rmse'] / r['oracle_rmse']:.3f} (check: <= 1.25)"
    return f"GMF - baseline {r['gmf_rmse'] - r['baseline_rmse']:+.4f} (check: <= +0.02)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", default=list(RATIO_GOALS))
    parser.add_argument("--runs", type=int, default=3, help="cold runs per figure; the median is printed")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    paths = {lesson: lesson_path(lesson) for lesson in args.lessons}
    floors, all_runs = [], {lesson: [] for lesson in paths}
    for _ in range(args.runs):  # a floor, then each lesson, in turn: a slow spell of the machine slows both
        floors.append(floor_once())
        for lesson, path in paths.items():
            all_runs[lesson].append(run(path))
    floor = statistics.median(floors)
    print(figure("floor: kernel + import tensorflow, tfrs", floor, floor) + f"  (runs: {', '.join(f'{f:.1f}' for f in floors)} s)")
    helpers_seconds = median_of(args.runs, import_helpers_seconds)
    print(f"{'import helpers, fresh interpreter':<44} {helpers_seconds:6.2f} s  (goal <= 0.4 s)")
    for lesson, path in paths.items():
        runs = all_runs[lesson]
        total = statistics.median(r["total"] for r in runs)
        seconds = ", ".join(f"{r['total']:.1f}" for r in runs)
        print(f"{lesson} runs: {seconds} s")
        print(figure(f"{lesson}, top to bottom", total, floor, RATIO_GOALS.get(lesson))
              + f"  peak kernel memory {max(r['memory'] for r in runs):.0f} MB" + (f"  ({BUDGETS[lesson]})" if lesson in BUDGETS else ""))
        per_cell = [statistics.median(times) for times in zip(*(r["cells"] for r in runs))]
        cells = runs[0]["nb"].cells
        for seconds, index in sorted(((s, i) for i, s in enumerate(per_cell)), reverse=True)[:6]:
            first = next((line for line in cells[index].source.splitlines() if line.strip()), "")
            print(f"    cell {index:2d}: {seconds:5.1f} s  {first[:70]}")
        if not any(name in runs[0] for name in REPORTED):  # lesson 3 ranks; its seeds: scripts/lesson3_seeds.py
            continue
        for seed in args.seeds:
            r = run(path, seed)
            figures = "  ".join(f"{name} {r[name]:.4f}" for name in REPORTED if name in r)
            print(f"    seed {seed}: {figures}  {margins(lesson, r)}")


if __name__ == "__main__":
    main()
