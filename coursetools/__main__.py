"""The instructor's steps, one subcommand each (the Makefile's targets call these).

    python -m coursetools student-notebooks [--check] [--force]   # notebooks/ from solutions/
    python -m coursetools student-bundle     # dist/recsys-course-student.zip: what students get
    python -m coursetools release            # student notebooks + register the lessons in the gradebook
    python -m coursetools autograde [--force] [--student ID] [--assignment LESSON] [--jobs N | --scheduler URL] [--unsandboxed]
    python -m coursetools feedback           # feedback/<student>/<lesson>/<lesson>.html, hidden tests removed
    python -m coursetools grades             # grades.csv, one row per student and lesson
    python -m coursetools leaderboard        # leaderboard.csv and .html: the challenge ranked by hidden Recall@20

Every step runs nbgrader in the course root (--root, default: the current
folder), which loads nbgrader_config.py from there. No step deletes the
gradebook or a submission; a regraded submission's earlier autograded copy is
kept in archive/autograded/.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from coursetools.autograde import autograde
from coursetools.bundle import student_bundle
from coursetools.export import feedback, grades
from coursetools.leaderboard import leaderboard
from coursetools.release import release, student_notebooks


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per step."""
    main = argparse.ArgumentParser(prog="python -m coursetools", description=__doc__.splitlines()[0],
                                   epilog="See the README's instructor section for the whole cycle.")
    main.add_argument("--root", type=Path, default=Path.cwd(), help="course root (default: the current folder)")
    sub = main.add_subparsers(dest="step", required=True)
    notebooks = sub.add_parser("student-notebooks", help="regenerate notebooks/ from solutions/")
    notebooks.add_argument("--check", action="store_true", help="only report differences")
    notebooks.add_argument("--force", action="store_true", help="overwrite notebooks with local edits")
    bundle = sub.add_parser("student-bundle", help="write dist/recsys-course-student.zip, without solutions or tests")
    bundle.add_argument("--out", type=Path, help="where to write the zip (default: dist/recsys-course-student.zip)")
    sub.add_parser("release", help="student notebooks, and register the lessons in the gradebook")
    grade = sub.add_parser("autograde", help="grade new and changed submissions in submitted/")
    grade.add_argument("--force", action="store_true", help="regrade submissions graded before, changed or not")
    grade.add_argument("--student", help="grade only this student's submissions")
    grade.add_argument("--assignment", help="grade only this lesson")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="grade this many submissions at once (default: the number of cores)")
    grade.add_argument("--scheduler", help="grade on the Dask cluster whose scheduler is here (tcp://host:8786)")
    grade.add_argument("--unsandboxed", action="store_true",
                       help="run student code with your rights, outside the grading sandbox (trusted submissions only)")
    sub.add_parser("feedback", help="HTML feedback per student, without hidden tests")
    export = sub.add_parser("grades", help="export scores to CSV, with a status column")
    export.add_argument("--out", type=Path, default=Path("grades.csv"))
    sub.add_parser("leaderboard", help="rank the autograded challenge submissions by their hidden Recall@20")
    return main


def main() -> int:
    args = parser().parse_args()
    root = args.root.resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"{root} is not a course root: it has no nbgrader_config.py (pass --root)")
    if args.step == "student-notebooks":
        return student_notebooks(root, check=args.check, force=args.force)
    if args.step == "student-bundle":
        student_bundle(root, args.out.resolve() if args.out else None)
        return 0
    if args.step == "release":
        return release(root)
    if args.step == "autograde":
        return autograde(root, args.force, args.student, args.assignment, args.jobs, args.scheduler,
                         sandboxed=not args.unsandboxed)
    if args.step == "feedback":
        return feedback(root)
    if args.step == "leaderboard":
        return leaderboard(root)
    return grades(root, args.out if args.out.is_absolute() else root / args.out)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, KeyError, FileNotFoundError) as error:  # a bad argument or setting: say which, no traceback
        sys.exit(f"error: {error}")
