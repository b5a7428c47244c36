"""The floor every benchmark compares with: a fresh kernel that imports TensorFlow and TFRS.

    python scripts/benchmark_floor.py [--runs 3]

The benchmarks print each figure in seconds and as a ratio to this floor, measured
in the same run, because absolute times differ a lot between machines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
FLOOR_CODE = "import tensorflow\nimport tensorflow_recommenders"

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # kernels inherit it: Keras 2, as the lessons use
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_cells(nb: nbformat.NotebookNode, cwd: Path) -> tuple[float, list[float]]:
    """Run `nb` in a fresh kernel: (seconds from kernel start to the end, seconds per cell)."""
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    cell_seconds = []
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            cell_seconds.append(time.perf_counter() - t0)
        total = time.perf_counter() - start
    return total, cell_seconds


def floor_once() -> float:
    """Seconds for one fresh kernel to start and import TensorFlow and TFRS (Keras 2)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_CODE)])
    return run_cells(nb, ROOT)[0]


def median_of(runs: int, measure: Callable[[], float]) -> float:
    """The median of `runs` calls of `measure`."""
    return statistics.median(measure() for _ in range(runs))


def figure(name: str, seconds: float, floor: float, goal: float | None = None) -> str:
    """One report line: seconds, ratio to the floor and, if given, the ratio goal."""
    target = f"  (goal <= {goal:.1f}x)" if goal else ""
    return f"{name:<44} {seconds:6.1f} s  {seconds / floor:4.1f}x floor{target}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    floor = median_of(args.runs, floor_once)
    print(figure("floor: kernel + import tensorflow, tfrs", floor, floor))


if __name__ == "__main__":
    main()
