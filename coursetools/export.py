"""Feedback pages and the grades CSV, from the gradebook."""

from __future__ import annotations

import html
import json
import re
import shutil
import zipfile
from pathlib import Path

from coursetools.feedback_render import FeedbackPages
from coursetools.feedback_run import Rendering, install, render, set_aside, staging_folder
from coursetools.nbgrader_cli import assignments, gradebook_url
from coursetools.spreadsheet import write_csv

TEST_LINK = re.compile(r'<a href="#([\w-]+)">Test cell</a>')
# grades.csv: nbgrader's CSV export's columns (instructors' scripts read them), with `status` third.
COLUMNS = ["assignment", "student_id", "status", "duedate", "timestamp", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score"]


def label_page(page: Path, student: str, lesson: str) -> None:
    """Name the student and the lesson at the top of a feedback page (and in its title), so that a page handed to the
    wrong student is seen at once; label each link of its score summary with its check's name instead of "Test cell"."""
    text = TEST_LINK.sub(r'<a href="#\1">\1</a>', page.read_text())
    who = html.escape(f"{student} on {lesson}")
    text = re.sub(r"<title>.*?</title>", f"<title>Feedback for {who}</title>", text, count=1, flags=re.S)
    text = re.sub(r"<h4>[^<]*?(\(Score:)", lambda m: f"<h4>Feedback for {who} {m[1]}", text, count=1)
    page.write_text(text)


def student_names(root: Path) -> dict[str, str]:
    """student id -> "First Last (id)", or the id alone where the gradebook has no name."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        names = {s.id: " ".join(filter(None, [s.first_name, s.last_name])) for s in gradebook.students}
    return {student: f"{name} ({student})" if name else student for student, name in names.items()}


def upload_zip(root: Path, lesson: str, current: set[str], failed: set[str]) -> Path | None:
    """feedback-upload/<lesson>.zip: the pages of this run alone (`current`), each named with the prefix the platform's
    download gave that student's file (Canvas's re-upload and Moodle's feedback-file import find the student by it).
    A page that did not render this time is not in it, nor is an earlier one of that student."""
    record = root / "collected" / f"{lesson}.json"
    if not record.is_file():
        return None
    prefixes = {d["student"]: d["prefix"] for d in json.loads(record.read_text()) if d.get("prefix")}
    pages = {s: root / "feedback" / s / lesson / f"{lesson}.html" for s in prefixes if s in current}
    out = root / "feedback-upload" / f"{lesson}.zip"
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for student, page in sorted(pages.items()):
            archive.write(page, f"{prefixes[student]}{lesson}_feedback.html")
    broken = sorted(set(prefixes) & failed)
    missing = sorted(set(prefixes) - set(pages) - failed)
    print(f"{lesson}: {len(pages)} pages to upload to the platform in {out.relative_to(root)}"
          + (f"; NOT in it, their page failed to render: {', '.join(broken)}" if broken else "")
          + (f"; no page yet for {', '.join(missing)} (not autograded)" if missing else ""))
    return out


def as_cell(value: object) -> str:
    """A gradebook value as nbgrader's CSV export writes it: str(), and None as an empty cell."""
    return "" if value is None else str(value)


def grade_row(assignment, student, submission) -> dict[str, str]:
    """The row of `student` on `assignment` (nbgrader API objects; `submission` None if they handed nothing in)."""
    row = {"assignment": assignment.name, "student_id": student.id, "duedate": as_cell(assignment.duedate),
           "last_name": as_cell(student.last_name), "first_name": as_cell(student.first_name),
           "email": as_cell(student.email), "max_score": as_cell(assignment.max_score)}
    if submission is None:  # nbgrader writes 0 here; an empty cell cannot be mistaken for a graded 0
        return row | {"status": "not submitted", "timestamp": "", "raw_score": "", "late_submission_penalty": "",
                      "score": ""}
    penalty = submission.late_submission_penalty or 0.0
    return row | {"status": "graded", "timestamp": as_cell(submission.timestamp),
                  "raw_score": as_cell(submission.score), "late_submission_penalty": as_cell(penalty),
                  "score": as_cell(max(0.0, submission.score - penalty))}


def grade_rows(root: Path) -> list[dict[str, str]]:
    """One row per lesson and student of the gradebook, read through nbgrader's API, with the values nbgrader's CSV
    export writes (in the same order of lessons and students)."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(gradebook_url(root)) as gradebook:
        students = gradebook.students
        for assignment in gradebook.assignments:
            handed_in = {s.student.id: s for s in assignment.submissions}
            rows += [grade_row(assignment, student, handed_in.get(student.id)) for student in students]
    return rows


def limits(root: Path) -> FeedbackPages:
    """The feedback pages' settings, as the course's nbgrader_config.py sets them (c.FeedbackPages)."""
    from traitlets.config import PyFileConfigLoader

    return FeedbackPages(config=PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())


def report(root: Path, lesson: str, students: list[str], rendering: Rendering, moved: list[str], timeout: float,
           log: Path) -> None:
    """Say what `make feedback` did for `lesson`, and what to do about pages that failed."""
    print(f"{lesson}: feedback for {len(rendering.pages)} of {len(students)} submissions in "
          f"feedback/<student>/{lesson}/")
    for student, why in sorted(rendering.failed.items()):
        print(f"  FAILED: {student}: no feedback page ({why}); see {log.relative_to(root)}")
    if moved:
        print(f"  earlier pages, no longer current, moved to archive/feedback/<student>/{lesson}/ (not handed out, "
              f"released or zipped): {', '.join(moved)}")
    if rendering.failed:
        print(f"  to retry: make feedback again; if rendering ran out of time, raise c.FeedbackPages.timeout in "
              f"nbgrader_config.py (now {timeout:g} s), or look at that student's notebook in autograded/ "
              f"(a huge cell?)")


def lesson_feedback(root: Path, lesson: str, timeout: float) -> bool:
    """Render `lesson`'s pages and put those that rendered in feedback/, labelled; set the others' earlier pages
    aside; False if any submission got no page."""
    students = sorted(p.parent.name for p in (root / "autograded").glob(f"*/{lesson}") if p.is_dir())
    if not students and not list((root / "feedback").glob(f"*/{lesson}/*.html")):
        return True
    log = root / "logs" / "feedback" / f"{lesson}.log"
    staging = staging_folder(root, lesson)
    try:
        rendering = render(root, lesson, students, staging, log, timeout) if students else Rendering()
        names = student_names(root) if rendering.pages else {}
        for student, page in rendering.pages.items():
            label_page(page, names.get(student, student), lesson)
        moved = set_aside(root, lesson, set(rendering.pages))
        install(root, lesson, rendering.pages)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report(root, lesson, students, rendering, moved, timeout, log)
    upload_zip(root, lesson, set(rendering.pages), set(rendering.failed))
    return not rendering.failed


def feedback(root: Path) -> int:
    """Write (or refresh) the HTML feedback of every autograded submission; 0 if every one of them got its page."""
    timeout = limits(root).timeout
    results = [lesson_feedback(root, lesson, timeout) for lesson in assignments(root)]
    return 0 if all(results) else 1


def grades(root: Path, out: Path) -> int:
    """Write the gradebook's scores to `out`, one row per student and lesson, in nbgrader's CSV export's columns plus a
    `status` column: "graded", "not submitted", or "grading failed (why)" with no score."""
    from coursetools.autograde import failures

    rows, failed = grade_rows(root), failures(root)
    for row in rows:
        why = failed.get(f"{row['student_id']}/{row['assignment']}")
        if why:  # the gradebook may still hold an earlier grading's score, or a 0 nbgrader wrote: neither is current
            row.update(status=f"grading failed ({why})", raw_score="", late_submission_penalty="", score="")
    write_csv(out, COLUMNS, [[row[c] for c in COLUMNS] for row in rows])
    print(f"wrote {out}: {len(rows)} rows, {sum(r['status'] == 'graded' for r in rows)} graded"
          + (f", {len(failed)} whose grading failed, with no score (make autograde grades them again): "
             f"{', '.join(sorted(failed))}" if failed else ""))
    return 0
