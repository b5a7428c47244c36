"""Time grading against the floor: one autograde per lesson, `nbgrader validate`, and a batch.

    python scripts/benchmark_grading.py [--runs 3] [--batch 0] [--lessons lesson1_basics ...] [--jobs 1,2]
                                        [--sandbox on,off]

Builds a temporary course (the repository is untouched), releases it, submits
each lesson's solution and times `python -m coursetools autograde` for one new
submission (what `make autograde` runs) and `nbgrader validate` on a solved
student notebook (the work of JupyterLab's Validate button, plus nbgrader's
start-up). Every figure is the median of --runs, in seconds and as a ratio to
the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from benchmark_floor import ROOT, figure, floor_once, median_of

sys.path.insert(0, str(ROOT / "tests"))
from notebook_tools import ASSIGNMENTS, coursetools, copy_course, fill_in, source_path, student_path  # noqa: E402

RATIO_GOALS = {"autograde lesson1_basics": 2.2}


def solved(lesson: str) -> nbformat.NotebookNode:
    """The released student notebook of `lesson` with every gap answered from the solution."""
    return fill_in(nbformat.read(student_path(lesson), as_version=4), nbformat.read(source_path(lesson), as_version=4))


def submit(root: Path, lesson: str, students: list[str]) -> None:
    """Put the solved `lesson` in submitted/<student>/ for each of `students`."""
    nb = solved(lesson)
    for student in students:
        folder = root / "submitted" / student / lesson
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{lesson}.ipynb")


def timed(*command: str | Path, cwd: Path) -> float:
    """Seconds `command` takes; its output is dropped unless it fails."""
    start = time.perf_counter()
    subprocess.run([str(part) for part in command], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=0, help="also grade this many lesson-1 submissions in one call")
    parser.add_argument("--jobs", help="e.g. 1,2: grade a batch of lesson-1 submissions with each JOBS; prints "
                        "submissions per minute, the speed-up and a projection for 300 students on 16 cores")
    parser.add_argument("--sandbox", default="on", help="on, off or on,off: grade in the sandbox, without it, or both "
                        "(each lesson's one submission, for the sandbox's cost)")
    parser.add_argument("--lessons", nargs="+", default=ASSIGNMENTS, choices=ASSIGNMENTS,
                        help="the lessons to autograde (default: all); validate runs when lesson1_basics is among them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_course(Path(tmp))
        start = time.perf_counter()
        coursetools(root, "release")
        release = time.perf_counter() - start
        floor = median_of(args.runs, floor_once)
        print(figure("floor: kernel + import tensorflow, tfrs", floor, floor))
        print(figure("release (all lessons)", release, floor))
        students = iter(f"student{n:03d}" for n in range(10_000))
        for lesson in args.lessons:
            for mode in args.sandbox.split(","):
                def one() -> float:
                    student = next(students)
                    submit(root, lesson, [student])
                    return timed(sys.executable, "-m", "coursetools", "--root", root, "autograde", "--student",
                                 student, *(["--unsandboxed"] if mode == "off" else []), cwd=ROOT)
                name = f"autograde {lesson}"
                label = f"{name}, one submission" + (f", sandbox {mode}" if "," in args.sandbox else "")
                print(figure(label, median_of(args.runs, one), floor, RATIO_GOALS.get(name)))
        if "lesson1_basics" in args.lessons:
            notebook = root / "validate" / "lesson1_basics.ipynb"
            notebook.parent.mkdir()
            nbformat.write(solved("lesson1_basics"), notebook)
            validate = median_of(args.runs, lambda: timed(sys.executable, "-m", "nbgrader", "validate", notebook, cwd=root))
            print(figure("nbgrader validate lesson1_basics (solved)", validate, floor))
        if args.jobs:
            rates = {}
            for jobs in [int(j) for j in args.jobs.split(",")]:
                batch = [next(students) for _ in range(args.batch or 4)]
                submit(root, "lesson1_basics", batch)
                seconds = timed(sys.executable, "-m", "coursetools", "--root", root, "autograde", "--jobs", str(jobs),
                                cwd=ROOT)
                rates[jobs] = 60 * len(batch) / seconds
                print(f"autograde JOBS={jobs}: {len(batch)} lesson-1 submissions in {seconds:.0f} s, "
                      f"{rates[jobs]:.1f} per minute, {seconds / len(batch) / floor:.1f}x floor per submission")
            one, most = min(rates), max(rates)
            speedup = rates[most] / rates[one]
            per_core = rates[most] / most  # submissions per minute per grader, at the largest JOBS measured
            print(f"speed-up JOBS={most} over JOBS={one}: {speedup:.2f}x (goal >= 1.7x on 2 cores); "
                  f"300 students on 16 cores at that rate per grader: {300 / (16 * per_core):.0f} min")
        if args.batch and not args.jobs:
            batch = [next(students) for _ in range(args.batch)]
            submit(root, "lesson1_basics", batch)
            seconds = timed(sys.executable, "-m", "coursetools", "--root", root, "autograde", cwd=ROOT)
            print(figure(f"autograde {args.batch} lesson1 submissions, per submission", seconds / args.batch, floor))


if __name__ == "__main__":
    main()
