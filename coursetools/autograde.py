"""Autograding: new and changed submissions, each the real nbgrader autograde in its own process, N at a time,
with a progress bar and a summary at the end."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

from tqdm import tqdm

from coursetools import preflight, sandbox
from coursetools.nbgrader_cli import assignments, gradebook_url, released
from coursetools.parallel import dask_pool, local_pool, run_all
from coursetools.submissions import Problem, Submission, find_submissions, sha256
from coursetools.course_secrets import SECRETS, secret_path
from coursetools.trusted import CHECKS, FIGURES, lesson_checks

RECORD = Path("autograded") / ".submission-hashes.json"  # student/lesson -> sha256 of the notebook (and timestamp.txt) last graded
PENDING = "pending"  # in the record while a submission is being graded: a run that stopped midway leaves it
FAILED = "failed: "  # in the record, with the reason, after a grading that failed: no score of it counts


def load_record(root: Path) -> dict[str, str]:
    """What was graded: student/lesson -> sha256 of that notebook."""
    path = root / RECORD
    return json.loads(path.read_text()) if path.exists() else {}


def save_record(root: Path, record: dict[str, str]) -> None:
    """Write the record of what was graded, whole or not at all (a Ctrl-C mid-write cannot leave half of it)."""
    (root / RECORD).parent.mkdir(parents=True, exist_ok=True)
    partial = (root / RECORD).with_suffix(".partial")
    partial.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    os.replace(partial, root / RECORD)


def why_grade(root: Path, sub: Submission, record: dict[str, str], force: bool,
              in_gradebook: set[str] | None = None) -> str | None:
    """Why `sub` needs grading now ("new", "changed since it was graded", "FORCE", ...), or None. `in_gradebook`: the
    student/lesson keys the gradebook has a submission for (None: not asked)."""
    graded = root / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
    if not graded.exists():
        return "new"
    if force:
        return "FORCE"
    if record.get(sub.key) == PENDING:
        return "not finished when grading last stopped"
    if record.get(sub.key, "").startswith(FAILED):
        return "its last grading failed"
    if in_gradebook is not None and sub.key not in in_gradebook:
        return "not in the gradebook (the lesson was released again)"
    if lesson_changed(root, sub.assignment, graded):
        return "the lesson changed since it was graded"
    if sub.key in record:
        return "changed since it was graded" if record[sub.key] != sha256(sub.notebook) else None
    # Graded before this record existed: a notebook newer than its graded copy was resubmitted.
    return "changed since it was graded" if sub.notebook.stat().st_mtime > graded.stat().st_mtime else None


def lesson_changed(root: Path, lesson: str, graded: Path) -> bool:
    """Whether the lesson's source notebook, its checks or the thresholds they share (helpers/thresholds.py) changed
    after the autograded copy `graded` was made."""
    source = root / "solutions" / lesson
    shared = (sandbox.helpers_folder() or root / "helpers") / "thresholds.py"
    return any(p.is_file() and p.stat().st_mtime > graded.stat().st_mtime
               for p in (source / f"{lesson}.ipynb", source / CHECKS, shared))


def gradebook_keys(root: Path) -> set[str]:
    """The student/lesson keys of every submission the gradebook holds."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        return {f"{s.student.id}/{a.name}" for a in gradebook.assignments for s in a.submissions}


def failures(root: Path) -> dict[str, str]:
    """student/lesson -> why its last grading failed or did not finish, for each submission whose grade is not
    current (grades.csv and the platform's file show no score for them)."""
    return {key: value.removeprefix(FAILED) if value.startswith(FAILED) else "grading did not finish"
            for key, value in load_record(root).items() if value == PENDING or value.startswith(FAILED)}


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
    """`score/max` of a graded submission, from the gradebook, and what is left after a late penalty."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        graded = gradebook.find_submission(sub.assignment, sub.student)
        penalty = graded.late_submission_penalty or 0.0
        late = f" (late: {max(0.0, graded.score - penalty):g} after its penalty)" if penalty else ""
        return f"{graded.score:g}/{graded.max_score:g}{late}"


def concerns(problem: Problem, student: str | None, assignment: str | None) -> bool:
    """Whether `problem` (at submitted/<student>/<lesson>/...) is about the chosen student and lesson."""
    parts = problem.where.rstrip("/").split("/")[1:]  # [student or "*", lesson, ...], or [] for submitted/
    return ((student is None or not parts or parts[0] in ("*", student))
            and (assignment is None or len(parts) < 2 or parts[1] == assignment))


def prepare_gradebook(root: Path, students: set[str]) -> None:
    """Ready the gradebook for graders running side by side: every student in it, and SQLite in WAL mode."""
    from nbgrader.api import Gradebook

    url = gradebook_url(root)
    if url.startswith("sqlite:///"):  # readers then never block the one writer; the URL's timeout makes writers wait
        with sqlite3.connect(url.removeprefix("sqlite:///").split("?")[0]) as db:
            db.execute("PRAGMA journal_mode=WAL")
    with Gradebook(url) as gradebook:  # two graders of one new student would both try to add them
        for student in sorted(students):
            gradebook.update_or_create_student(student)


def autograde(root: Path, force: bool = False, student: str | None = None, assignment: str | None = None,
              jobs: int = 1, scheduler: str | None = None, sandboxed: bool = True) -> int:
    """Grade every new or changed submission (all with `force`), optionally of one student or lesson, `jobs` at a
    time here or on the Dask cluster at `scheduler`, each kernel in the grading sandbox unless not `sandboxed`;
    0 if all went well."""
    reason = sandboxed and not scheduler and sandbox.problem()  # a cluster's workers check for themselves
    if reason:
        raise ValueError(f"{reason}. Grading runs each submission's kernel in a sandbox and will not start without "
                         "one; to grade with your own rights instead (trusted submissions only): "
                         "make autograde UNSANDBOXED=1")
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
    known = gradebook_keys(root) if subs and not force else None
    plan = {s.key: (s, reason) for s in subs if (reason := why_grade(root, s, record, force, known))}
    print(f"{len(plan)} to grade, {len(subs) - len(plan)} unchanged since they were graded (FORCE=1 regrades them)"
          + (f"; on the Dask cluster at {scheduler}" if plan and scheduler else "")
          + (f"; {min(jobs, len(plan))} at a time" if plan and not scheduler else "")
          + ("; UNSANDBOXED: student code runs with your rights" if plan and not sandboxed else ""))
    failed: list[tuple[Submission, str, Path]] = []
    kept: dict[str, Path | None] = {}
    graded = 0
    unready = sorted({s.assignment for s, _ in plan.values() if missing_secret(root, s.assignment)})
    if unready:
        raise ValueError(f"{', '.join(unready)} has no secret yet ({SECRETS}/): run `make release` first, which makes it")
    if plan and not scheduler:  # a cluster's workers are the ones to check; here, before anything is graded
        reason = preflight.problem(root, sandboxed)
        if reason:
            raise ValueError(reason)
    if plan:
        prepare_gradebook(root, {sub.student for sub, _ in plan.values()})
        for key, (sub, reason) in plan.items():
            kept[key] = keep_previous(root, sub) if reason != "new" else None
            record[key] = PENDING
        save_record(root, record)
    tasks = [(str(root), sub.assignment, sub.student, str(log_of(root, sub)), "on" if sandboxed else "off")
             for sub, _ in plan.values()]
    try:
        with (dask_pool(scheduler) if scheduler else local_pool(jobs)) as pool, \
                tqdm(total=len(plan), unit="submission", disable=not plan) as bar:
            for done, outcome in enumerate(run_all(pool, tasks), start=1):
                sub, reason = plan[f"{outcome.student}/{outcome.assignment}"]
                log = log_of(root, sub)
                if outcome.ok:
                    graded += 1
                    record[sub.key] = sha256(sub.notebook)
                    save_record(root, record)
                    note = f"; the earlier graded copy is kept in {kept[sub.key].relative_to(root)}" if kept[sub.key] else ""
                    bar.write(f"[{done}/{len(plan)}] {sub.key} ({reason}): {score(root, sub)}{note}")
                else:
                    failed.append((sub, outcome.reason, log))
                    record[sub.key] = f"{FAILED}{outcome.reason}"
                    save_record(root, record)
                    bar.write(f"[{done}/{len(plan)}] {sub.key}: failed ({outcome.reason}), see {log.relative_to(root)}")
                bar.set_postfix(failed=len(failed))
                bar.update()
    except KeyboardInterrupt:
        print(f"\ninterrupted: graded {graded}, failed {len(failed)}, not finished {len(plan) - graded - len(failed)}; "
              "run `make autograde` again to grade what is missing")
        return 130
    print(f"graded {graded}, failed {len(failed)}, not gradable {len(problems)}")
    for sub, reason, log in failed:
        print(f"  failed: {sub.key} ({reason}); nbgrader's log is {log.relative_to(root)}; no score of it counts "
              "(grades.csv says failed) and the next run grades it again")
    for problem in problems:
        print(f"  not graded: {problem}")
    for sub, flag in flags(root, [sub for sub, _ in plan.values()]):
        print(f"  look at: {sub.key}: {flag}")
    return 1 if failed or problems else 0


def missing_secret(root: Path, lesson: str) -> bool:
    """Whether `lesson`'s checks need a secret (lesson 3's hidden world) that the course does not have yet."""
    return hasattr(lesson_checks(root / "solutions" / lesson / CHECKS), "make_secret") and not secret_path(root, lesson).is_file()


def flags(root: Path, subs: list[Submission]) -> list[tuple[Submission, str]]:
    """The submissions whose figures, as the grader measured them, it flagged as a reason to look."""
    found = []
    for sub in subs:
        path = root / FIGURES / sub.assignment / f"{sub.student}.json"
        flag = json.loads(path.read_text()).get("flag") if path.is_file() else None
        if flag:
            found.append((sub, flag))
    return found


def log_of(root: Path, sub: Submission) -> Path:
    """Where nbgrader's output for grading `sub` goes."""
    return root / "logs" / "autograde" / sub.assignment / f"{sub.student}.log"
