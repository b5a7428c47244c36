"""The instructor's steps, one subcommand each (the Makefile's targets call these).

    python -m coursetools student-notebooks [--check] [--force]   # notebooks/ from solutions/
    python -m coursetools student-bundle [--lessons A,B]  # dist/recsys-course-student.zip: what students get
    python -m coursetools release [--lessons A,B] [--regrade]  # student notebooks + register the lessons in the gradebook
    python -m coursetools roster --csv EXPORT  # the class list from Canvas's or Moodle's export, into the gradebook
    python -m coursetools collect --lesson L [--zip DOWNLOAD]  # a platform's download (or the hub's exchange) into submitted/
    python -m coursetools autograde [--force] [--student ID] [--assignment LESSON] [--jobs N | --scheduler URL] [--unsandboxed]
    python -m coursetools feedback           # feedback/<student>/<lesson>/<lesson>.html, hidden tests removed
    python -m coursetools grades [--format canvas|moodle]  # grades.csv, or the platform's gradebook import file
    python -m coursetools similarity --lesson L  # similarity/<lesson>/report.html and pairs.csv: pairs of submissions by shared gap code
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
from coursetools.collect import from_exchange, from_zip
from coursetools.platform_grades import platform_grades
from coursetools.platforms import LearningPlatform
from coursetools.roster import roster
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
    bundle.add_argument("--lessons", help="only these lessons, comma-separated (default: all)")
    publish = sub.add_parser("release", help="student notebooks, and register the lessons in the gradebook")
    publish.add_argument("--lessons", help="only these lessons, comma-separated (default: all)")
    publish.add_argument("--regrade", action="store_true",
                         help="a lesson that gained or lost graded cells: replace its old version in the gradebook "
                              "(kept in archive/gradebook/) and regrade every submission of it")
    publish.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="with --regrade: graders at once")
    class_list = sub.add_parser("roster", help="import the class list from Canvas's or Moodle's gradebook export")
    class_list.add_argument("--csv", type=Path, required=True, help="the export (CSV)")
    collect = sub.add_parser("collect", help="a platform's download, or the exchange's submissions, into submitted/")
    collect.add_argument("--lesson", required=True, help="the lesson the download is of")
    collect.add_argument("--zip", type=Path, help="the platform's bulk download (without it: the JupyterHub exchange)")
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
    export.add_argument("--out", type=Path, help="where to write it (default: grades.csv, or grades-FORMAT.csv)")
    export.add_argument("--format", choices=["canvas", "moodle"],
                        help="the learning platform's gradebook import format instead of nbgrader's columns")
    alike = sub.add_parser("similarity", help="rank every pair of a lesson's submissions by the gap-cell code they share")
    alike.add_argument("--lesson", required=True, help="the lesson whose submissions (in submitted/) to compare")
    sub.add_parser("leaderboard", help="rank the autograded challenge submissions by their hidden Recall@20")
    return main


def platform(root: Path) -> LearningPlatform:
    """The learning platform nbgrader_config.py chooses (c.LearningPlatform)."""
    from traitlets.config import PyFileConfigLoader

    return LearningPlatform(config=PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())


def names(text: str | None) -> list[str] | None:
    """Lesson names from "a,b" or "a b" (None for all lessons)."""
    return [n for n in (text or "").replace(",", " ").split()] or None


def main() -> int:
    args = parser().parse_args()
    root = args.root.resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"{root} is not a course root: it has no nbgrader_config.py (pass --root)")
    if args.step == "student-notebooks":
        return student_notebooks(root, check=args.check, force=args.force)
    if args.step == "student-bundle":
        student_bundle(root, args.out.resolve() if args.out else None, names(args.lessons))
        return 0
    if args.step == "release":
        return release(root, names(args.lessons), args.regrade, args.jobs)
    if args.step == "roster":
        return roster(root, args.csv.resolve(), platform(root).name)
    if args.step == "collect":
        return from_zip(root, args.zip.resolve(), args.lesson) if args.zip else from_exchange(root, args.lesson)
    if args.step == "autograde":
        return autograde(root, args.force, args.student, args.assignment, args.jobs, args.scheduler,
                         sandboxed=not args.unsandboxed)
    if args.step == "feedback":
        return feedback(root)
    if args.step == "similarity":
        from coursetools.similarity import similarity  # copydetect takes most of a second to import

        return similarity(root, args.lesson)
    if args.step == "leaderboard":
        return leaderboard(root)
    out = root / (args.out or (f"grades-{args.format}.csv" if args.format else "grades.csv"))
    if args.format:
        chosen = platform(root)
        return platform_grades(root, args.format, out, dict(chosen.columns))
    return grades(root, out)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, KeyError, FileNotFoundError) as error:  # a bad argument or setting: say which, no traceback
        sys.exit(f"error: {error.args[0] if isinstance(error, KeyError) and error.args else error}")
