"""Time nbgrader's autograde of lesson 1: one submission, then a batch.

    python scripts/benchmark_grading.py [--batch 10]

Builds a temporary course (the repository is untouched), releases lesson 1,
submits the solution for each student and times `python -m coursetools autograde`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from lesson1_cases import LESSON, submission  # noqa: E402
from notebook_tools import copy_course, coursetools  # noqa: E402


def course(root: Path, *args: str) -> None:
    """Run an instructor step (python -m coursetools) on the course at `root`."""
    coursetools(root, *args)


def timed_autograde(root: Path, students: list[str]) -> float:
    """Submit the solution for `students` and return the seconds autograde takes for them."""
    nb = submission()
    for student in students:
        folder = root / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{LESSON}.ipynb")
    start = time.perf_counter()
    course(root, "autograde")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_course(Path(tmp))
        start = time.perf_counter()
        course(root, "release")
        print(f"release: {time.perf_counter() - start:.1f} s")
        one = timed_autograde(root, ["single"])
        print(f"autograde, 1 submission: {one:.1f} s")
        batch = timed_autograde(root, [f"student{i:02d}" for i in range(args.batch)])
        print(f"autograde, batch of {args.batch}: {batch:.1f} s ({batch / args.batch:.1f} s per submission)")


if __name__ == "__main__":
    main()
