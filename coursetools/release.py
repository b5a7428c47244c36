"""Generating the student notebooks (nbgrader's release) from the hand-written solutions."""

from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from coursetools.autograde import autograde
from coursetools.changed_lessons import forget_lesson, restore_due_date
from coursetools.grading import course_api, logged
from coursetools.nbgrader_cli import chosen
from coursetools.course_secrets import ensure_secret, secret_path
from coursetools.trusted import CHECKS, lesson_checks

WRITTEN = Path("logs") / "release" / "written.json"  # notebooks/ path -> sha256 of what the last generation wrote


def generate(root: Path, dest: Path, register: bool, lessons: list[str]) -> None:
    """Generate the named lessons' student notebooks into `dest`; `register` saves them in the gradebook."""
    no_db = {} if register else {"SaveCells": {"enabled": False}, "GenerateAssignment": {"no_database": True}}
    api = course_api(root, {"CourseDirectory": {"release_directory": str(dest)}, **no_db})  # no_db: as --no-db
    for name in lessons:
        log = root / "logs" / "release" / f"{name}.log"
        if not logged(log, lambda: api.generate_assignment(name, force=True, create=register)):
            if "because there are submissions" in log.read_text(errors="replace"):
                raise ValueError(f"{name} gained or lost graded cells since students handed it in, and nbgrader "
                                 "keeps the gradebook's cells while it has submissions. To release it and regrade "
                                 f"every submission with the new points: make release LESSON={name} REGRADE=1 "
                                 "(docs/changing-a-lesson.md); nothing was released")
            raise RuntimeError(f"nbgrader could not generate the student notebooks of {name}; see {log}")


def notebook_files(folder: Path, lessons: list[str]) -> set[Path]:
    """The named lessons' notebook paths below `folder`, relative to it."""
    return {p.relative_to(folder) for p in folder.rglob("*.ipynb")
            if ".ipynb_checkpoints" not in p.parts and p.relative_to(folder).parts[0] in lessons}


def differences(release: Path, fresh: Path, lessons: list[str]) -> list[str]:
    """Relative paths of the named lessons that differ between a fresh generation and `release`."""
    ours = notebook_files(release, lessons) if release.exists() else set()
    theirs = notebook_files(fresh, lessons)
    changed = [p for p in ours & theirs if not filecmp.cmp(release / p, fresh / p, shallow=False)]
    return sorted(str(p) for p in (ours ^ theirs) | set(changed))


def locally_edited(root: Path, paths: list[str]) -> list[str]:
    """Those of `paths` under notebooks/ that someone edited since they were generated: as git reports them (modified
    or untracked) in a git checkout, unless exactly what the last generation wrote (WRITTEN); elsewhere, those that
    differ from what it wrote."""
    if not paths:
        return []
    status = subprocess.run(["git", "status", "--porcelain", "--", "notebooks"], cwd=root,
                            capture_output=True, text=True)
    if status.returncode != 0:
        return [p for p in paths if (root / "notebooks" / p).exists() and not written_by_release(root, p)]
    dirty = {line[3:].strip() for line in status.stdout.splitlines()}
    return [p for p in paths if f"notebooks/{p}" in dirty and not written_by_release(root, p)]


def written_by_release(root: Path, path: str) -> bool:
    """Whether notebooks/`path` is exactly what the last generation wrote (not a hand edit, committed or not)."""
    record = root / WRITTEN
    written = json.loads(record.read_text()) if record.is_file() else {}
    target = root / "notebooks" / path
    return target.is_file() and written.get(path) == hashlib.sha256(target.read_bytes()).hexdigest()


def remember_written(root: Path, paths: list[str]) -> None:
    """Record the sha256 of each generated notebook in `paths` (under notebooks/), for locally_edited outside git."""
    record = root / WRITTEN
    written = json.loads(record.read_text()) if record.is_file() else {}
    written |= {p: hashlib.sha256((root / "notebooks" / p).read_bytes()).hexdigest() for p in paths}
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(written, indent=1, sort_keys=True) + "\n")


def student_notebooks(root: Path, check: bool = False, force: bool = False, register: bool = False,
                      lessons: list[str] | None = None) -> int:
    """Bring notebooks/ in line with solutions/ (or, with `check`, only report the drift), for the named lessons."""
    release = root / "notebooks"
    lessons = chosen(root, lessons)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(root, fresh, register, lessons)
        changed = differences(release, fresh, lessons)
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
        remember_written(root, [p for p in changed if (fresh / p).exists()])
        if not changed:
            print(f"notebooks/ is up to date with solutions/ ({', '.join(lessons)})")
    return 0


def release(root: Path, lessons: list[str] | None = None, regrade: bool = False, jobs: int = 1) -> int:
    """Check the named lessons (default: all) as release_checks.py says, then regenerate their student notebooks,
    register them in the gradebook, and make each one's secret that has none yet (lesson 3's hidden world: a seed and
    the reference's score there, about 30 s); 1 without releasing anything if a lesson fails its checks. With
    `regrade`, each lesson's old version leaves the gradebook first (changed_lessons.py) and every submission of it is
    graded again, `jobs` at a time."""
    lessons = chosen(root, lessons)
    for name in lessons:
        checks = lesson_checks(root / "solutions" / name / CHECKS)
        if hasattr(checks, "make_secret"):
            made = not secret_path(root, name).exists()
            if made:
                print(f"{name}: drawing its hidden world and measuring the reference there (about 30 s) ...", flush=True)
            ensure_secret(root, name, checks)
            print(f"{name}: its secret is {secret_path(root, name).relative_to(root)}"
                  + (" (new)" if made else " (kept; delete it before any grading to draw another)"))
    refused = checked(root, lessons)
    if refused:
        for name, found in refused.items():
            print(f"{name}: NOT released, {len(found)} problem{'s' if len(found) > 1 else ''}:", file=sys.stderr)
            for problem in found:
                print(f"  {problem}", file=sys.stderr)
        print("nothing was released; fix the lessons above and run make release again", file=sys.stderr)
        return 1
    if regrade:  # nothing leaves the gradebook unless the new notebooks can be written
        status = student_notebooks(root, register=False, lessons=lessons)
        if status:
            return status
    forgotten = {name: forget_lesson(root, name) for name in lessons} if regrade else {}
    status = student_notebooks(root, register=True, lessons=lessons)
    if status:
        return status
    print(f"released {', '.join(lessons)}: notebooks/ regenerated and registered in the gradebook")
    for name, (due, kept) in forgotten.items():
        restore_due_date(root, name, due)
        if kept:
            print(f"{name}: the old version's gradebook rows (scores, manual grades, comments) are kept in "
                  f"{kept.relative_to(root)}; manual grades are not carried over")
        status |= autograde(root, force=True, assignment=name, jobs=jobs)
    return status


def checked(root: Path, lessons: list[str]) -> dict[str, list[str]]:
    """lesson -> what stops it from being released (release_checks.py), for those of `lessons` that fail."""
    from coursetools.release_checks import problems, runs_notebooks

    with tempfile.TemporaryDirectory() as tmp:
        if runs_notebooks():  # the blank notebooks the checks must fail on
            generate(root, Path(tmp), register=False, lessons=lessons)
        found = {name: problems(root, name, Path(tmp) / name / f"{name}.ipynb") for name in lessons}
    return {name: problems_of for name, problems_of in found.items() if problems_of}
