"""Grade a class of tiny submissions side by side, on SQLite and on a private PostgreSQL server: throughput, and
whether every submission was graded exactly once with the score a serial run gives.

    python scripts/benchmark_load.py [--submissions 200] [--jobs 4] [--serial 8]

Each submission is the tiny course's one-point lesson (tests/tiny_course.py), which grades in about a second, so
the figures measure the grading machinery: processes, kernels in the sandbox, the gradebook. Every figure is also
given per submission as a ratio to the floor (a kernel that imports TensorFlow) measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmark_floor import ROOT, floor_once, median_of

sys.path.insert(0, str(ROOT / "tests"))
from notebook_tools import coursetools  # noqa: E402
from postgres_server import binaries, create_database, private_server  # noqa: E402
from test_parallel_autograde import RIGHT, WRONG, gradebook_scores  # noqa: E402
from tiny_course import make_tiny_course, submit  # noqa: E402


def graded_class(folder: Path, students: list[str], jobs: int) -> tuple[float, dict[str, float], str]:
    """Release the tiny course in `folder`, hand in one submission per student (every fourth wrong), grade them
    `jobs` at a time: (seconds, student -> score, what the grading logs say about locks and ports)."""
    folder.mkdir()
    root = make_tiny_course(folder)
    coursetools(root, "release")
    for n, student in enumerate(students):
        submit(root, student, "tiny", WRONG if n % 4 == 0 else RIGHT)
    start = time.perf_counter()
    result = coursetools(root, "autograde", "--jobs", str(jobs), check=False)
    seconds = time.perf_counter() - start
    logs = "".join(p.read_text() for p in (root / "logs" / "autograde" / "tiny").glob("*.log"))
    trouble = f"'database is locked' {logs.count('database is locked')}x, 'Address already in use' " \
              f"{logs.count('Address already in use')}x, exit code {result.returncode}"
    return seconds, gradebook_scores(root), trouble


def report(name: str, n: int, jobs: int, seconds: float, scores: dict, serial: dict, trouble: str, floor: float):
    """One line per database: throughput, and whether the grades are whole and as a serial run's."""
    once = len(scores) == n
    same = all(scores.get(student) == score for student, score in serial.items())
    print(f"{name}: {n} submissions, {jobs} graders: {seconds:.0f} s, {60 * n / seconds:.0f} per minute, "
          f"{seconds / n:.2f} s each ({seconds / n / floor:.2f}x floor); graded exactly once: {'yes' if once else 'NO'}; "
          f"scores as the serial run's: {'yes' if same else 'NO'}; {trouble}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--serial", type=int, default=8, help="grade this many one at a time, for the scores to match")
    args = parser.parse_args()
    students = [f"s{n:04d}" for n in range(args.submissions)]
    floor = median_of(1, floor_once)
    print(f"floor: kernel + import tensorflow, tfrs {floor:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, serial, trouble = graded_class(Path(tmp) / "serial", students[:args.serial], 1)
        report("SQLite, one at a time", args.serial, 1, seconds, serial, serial, trouble, floor)
        seconds, scores, trouble = graded_class(Path(tmp) / "sqlite", students, args.jobs)
        report("SQLite", args.submissions, args.jobs, seconds, scores, serial, trouble, floor)
        if binaries() is None:
            print("PostgreSQL: not installed here, skipped")
            return
        with private_server() as (base_url, bin_dir):
            os.environ["NBGRADER_DB_URL"] = create_database(base_url, bin_dir, "load")
            seconds, scores, trouble = graded_class(Path(tmp) / "postgresql", students, args.jobs)
            report("PostgreSQL", args.submissions, args.jobs, seconds, scores, serial, trouble, floor)


if __name__ == "__main__":
    main()
