"""The nbgrader cycle for this course, one subcommand per step.

    python scripts/course.py student-notebooks [--check] [--force]
    python scripts/course.py release      # student notebooks + register assignments in the gradebook
    python scripts/course.py autograde    # grade submitted/<student>/<assignment>/ (FORCE: regrade)
    python scripts/course.py feedback     # feedback/<student>/<assignment>/*.html, hidden tests removed
    python scripts/course.py grades       # grades.csv, one row per student and assignment

Every step runs nbgrader in the course root (`--root`, default: this repository),
which loads nbgrader_config.py from there. No step deletes the gradebook, a
submission, or a student notebook with uncommitted edits.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def nbgrader(root: Path, *args: str) -> None:
    """Run one nbgrader command in `root`, with this venv's bin (for alembic) first on PATH."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               # nbgrader 0.9.6's own SQLAlchemy usage warns on every submission; nothing to act on.
               PYTHONWARNINGS="ignore:Object of type")
    subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=root, env=env, check=True)


def assignments(root: Path) -> list[str]:
    """Names of the assignments in solutions/ (one folder each)."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))


def generate(root: Path, dest: Path, register: bool) -> None:
    """Generate every assignment's student notebooks into `dest`; `register` saves them in the gradebook."""
    for name in assignments(root):
        nbgrader(root, "generate_assignment", name, "--force", f"--CourseDirectory.release_directory={dest}",
                 *([] if register else ["--no-db"]))


def notebook_files(folder: Path) -> set[Path]:
    """Notebook paths below `folder`, relative to it."""
    return {p.relative_to(folder) for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}


def differences(release: Path, fresh: Path) -> list[str]:
    """Relative paths that differ between a fresh generation and `release`."""
    ours = notebook_files(release) if release.exists() else set()
    theirs = notebook_files(fresh)
    changed = [p for p in ours & theirs if not filecmp.cmp(release / p, fresh / p, shallow=False)]
    return sorted(str(p) for p in (ours ^ theirs) | set(changed))


def locally_edited(root: Path, paths: list[str]) -> list[str]:
    """Those of `paths` under notebooks/ that git reports as modified or untracked (outside git: all that exist)."""
    if not paths:
        return []
    status = subprocess.run(["git", "status", "--porcelain", "--", "notebooks"], cwd=root,
                            capture_output=True, text=True)
    if status.returncode != 0:
        return [p for p in paths if (root / "notebooks" / p).exists()]
    out = status.stdout
    dirty = {line[3:].strip() for line in out.splitlines()}
    return [p for p in paths if f"notebooks/{p}" in dirty]


def student_notebooks(root: Path, check: bool = False, force: bool = False, register: bool = False) -> int:
    """Bring notebooks/ in line with solutions/ (or, with `check`, only report the drift)."""
    release = root / "notebooks"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(root, fresh, register)
        changed = differences(release, fresh)
        if check:
            for path in changed:
                print(f"out of date: notebooks/{path}")
            return 1 if changed else 0
        edited = locally_edited(root, changed)
        if edited and not force:
            print("refusing to overwrite student notebooks with uncommitted edits "
                  f"(commit or move them first, or pass --force): {edited}", file=sys.stderr)
            return 1
        for path in changed:
            if (fresh / path).exists():
                (release / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fresh / path, release / path)
                print(f"wrote notebooks/{path}")
    return 0


def autograde(root: Path, force: bool) -> int:
    """Autograde every submission; already graded ones are skipped unless `force`."""
    for name in assignments(root):
        if any((root / "submitted").glob(f"*/{name}")):
            nbgrader(root, "autograde", name, *(["--force"] if force else []))
    return 0


def feedback(root: Path) -> int:
    """Write (or refresh) the HTML feedback of every autograded submission."""
    for name in assignments(root):
        if any((root / "autograded").glob(f"*/{name}")):
            nbgrader(root, "generate_feedback", name, "--force")
    return 0


def grades(root: Path, out: Path) -> int:
    """Export the gradebook's scores to a CSV file."""
    nbgrader(root, "export", f"--to={out}")
    print(f"wrote {out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO, help="course root (default: this repository)")
    sub = parser.add_subparsers(dest="step", required=True)
    notebooks = sub.add_parser("student-notebooks", help="regenerate notebooks/ from solutions/")
    notebooks.add_argument("--check", action="store_true", help="only report differences")
    notebooks.add_argument("--force", action="store_true", help="overwrite notebooks with local edits")
    sub.add_parser("release", help="student notebooks, and register the assignments in the gradebook")
    grade = sub.add_parser("autograde", help="grade submitted/<student>/<assignment>/")
    grade.add_argument("--force", action="store_true", help="regrade submissions graded before")
    sub.add_parser("feedback", help="HTML feedback per student, without hidden tests")
    export = sub.add_parser("grades", help="export scores to CSV")
    export.add_argument("--out", type=Path, default=Path("grades.csv"))
    args = parser.parse_args()
    root = args.root.resolve()
    if args.step == "student-notebooks":
        return student_notebooks(root, check=args.check, force=args.force)
    if args.step == "release":
        return student_notebooks(root, register=True)
    if args.step == "autograde":
        return autograde(root, args.force)
    if args.step == "feedback":
        return feedback(root)
    return grades(root, args.out if args.out.is_absolute() else root / args.out)


if __name__ == "__main__":
    sys.exit(main())
