"""Autograding: new and changed submissions, one nbgrader autograde each, with a summary at the end."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from coursetools.grading import autograde_one, course_api
from coursetools.nbgrader_cli import assignments, gradebook_url, released
from coursetools.submissions import Problem, Submission, find_submissions, sha256

RECORD = Path("autograded") / ".submission-hashes.json"  # student/lesson -> sha256 of the notebook last graded


def load_record(root: Path) -> dict[str, str]:
    """What was graded: student/lesson -> sha256 of that notebook."""
    path = root / RECORD
    return json.loads(path.read_text()) if path.exists() else {}


def save_record(root: Path, record: dict[str, str]) -> None:
    """Write the record of what was graded."""
    (root / RECORD).parent.mkdir(parents=True, exist_ok=True)
    (root / RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def why_grade(root: Path, sub: Submission, record: dict[str, str], force: bool) -> str | None:
    """Why `sub` needs grading now ("new", "changed since it was graded", "FORCE"), or None."""
    graded = root / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
    if not graded.exists():
        return "new"
    if force:
        return "FORCE"
    if sub.key in record:
        return "changed since it was graded" if record[sub.key] != sha256(sub.notebook) else None
    # Graded before this record existed: a notebook newer than its graded copy was resubmitted.
    return "changed since it was graded" if sub.notebook.stat().st_mtime > graded.stat().st_mtime else None


def keep_previous(root: Path, sub: Submission) -> Path | None:
    """Copy the earlier autograded copy of `sub` to archive/autograded/... and return where it went."""
    graded = root / "autograded" / sub.student / sub.assignment
    if not graded.exists():
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder = root / "archive" / "autograded" / sub.student / sub.assignment
    dest = next(folder / f"{stamp}{suffix}" for suffix in ["", *(f"-{n}" for n in range(2, 1000))]
                if not (folder / f"{stamp}{suffix}").exists())
    shutil.copytree(graded, dest)
    return dest


def score(root: Path, sub: Submission) -> str:
    """`score/max` of a graded submission, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        graded = gradebook.find_submission(sub.assignment, sub.student)
        return f"{graded.score:g}/{graded.max_score:g}"


def concerns(problem: Problem, student: str | None, assignment: str | None) -> bool:
    """Whether `problem` (at submitted/<student>/<lesson>/...) is about the chosen student and lesson."""
    parts = problem.where.rstrip("/").split("/")[1:]  # [student or "*", lesson, ...], or [] for submitted/
    return ((student is None or not parts or parts[0] in ("*", student))
            and (assignment is None or len(parts) < 2 or parts[1] == assignment))


def autograde(root: Path, force: bool = False, student: str | None = None, assignment: str | None = None) -> int:
    """Grade every new or changed submission (all with `force`), optionally of one student or lesson; 0 if all went well."""
    lessons = assignments(root)
    if assignment is not None and assignment not in lessons:
        raise ValueError(f"ASSIGNMENT={assignment!r} is not a lesson of this course; the lessons are {lessons}")
    subs, problems = find_submissions(root, lessons, released(root))
    subs = [s for s in subs if student in (None, s.student) and assignment in (None, s.assignment)]
    problems = [p for p in problems if concerns(p, student, assignment)]
    if student is not None and not subs:
        problems.append(Problem(f"submitted/{student}", f"no gradable submission of student {student!r}"
                                + (f" for {assignment}" if assignment else ""), "check the name and the folder"))
    record = load_record(root)
    plan = [(s, reason) for s in subs if (reason := why_grade(root, s, record, force))]
    failed: list[tuple[Submission, Path]] = []
    print(f"{len(plan)} to grade, {len(subs) - len(plan)} unchanged since they were graded (FORCE=1 regrades them)")
    api = course_api(root) if plan else None
    for done, (sub, reason) in enumerate(plan, start=1):
        kept = keep_previous(root, sub) if reason != "new" else None
        log = root / "logs" / "autograde" / sub.assignment / f"{sub.student}.log"
        if not autograde_one(api, sub.assignment, sub.student, log):
            failed.append((sub, log))
            print(f"[{done}/{len(plan)}] {sub.key}: nbgrader failed, see {log.relative_to(root)}")
            continue
        record[sub.key] = sha256(sub.notebook)
        save_record(root, record)
        note = f"; the earlier graded copy is kept in {kept.relative_to(root)}" if kept else ""
        print(f"[{done}/{len(plan)}] {sub.key} ({reason}): {score(root, sub)}{note}")
    print(f"graded {len(plan) - len(failed)}, failed {len(failed)}, not gradable {len(problems)}")
    for sub, log in failed:
        print(f"  failed: {sub.key}; nbgrader's log is {log.relative_to(root)}")
    for problem in problems:
        print(f"  not graded: {problem}")
    return 1 if failed or problems else 0
