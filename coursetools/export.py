"""Feedback pages and the grades CSV, from the gradebook."""

from __future__ import annotations

import csv
import html
import json
import re
import tempfile
import zipfile
from pathlib import Path

from coursetools.nbgrader_cli import assignments, gradebook_url, nbgrader

TEST_LINK = re.compile(r'<a href="#([\w-]+)">Test cell</a>')


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


def upload_zip(root: Path, lesson: str) -> Path | None:
    """feedback-upload/<lesson>.zip: the lesson's pages alone, each named with the prefix the platform's download gave
    that student's file (Canvas's re-upload and Moodle's feedback-file import find the student by it)."""
    record = root / "collected" / f"{lesson}.json"
    if not record.is_file():
        return None
    prefixes = {d["student"]: d["prefix"] for d in json.loads(record.read_text()) if d.get("prefix")}
    pages = {s: root / "feedback" / s / lesson / f"{lesson}.html" for s in prefixes}
    out = root / "feedback-upload" / f"{lesson}.zip"
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for student, page in sorted(pages.items()):
            if page.is_file():
                archive.write(page, f"{prefixes[student]}{lesson}_feedback.html")
    missing = sorted(s for s, page in pages.items() if not page.is_file())
    print(f"{lesson}: {len(pages) - len(missing)} pages to upload to the platform in {out.relative_to(root)}"
          + (f"; no page yet for {', '.join(missing)} (not autograded)" if missing else ""))
    return out


def feedback(root: Path) -> int:
    """Write (or refresh) the HTML feedback of every autograded submission; 0 if nbgrader succeeded."""
    status = 0
    for name in assignments(root):
        graded = sorted((root / "autograded").glob(f"*/{name}"))
        if not graded:
            continue
        log = root / "logs" / "feedback" / f"{name}.log"
        if nbgrader(root, "generate_feedback", name, "--force", log=log).returncode != 0:
            print(f"{name}: nbgrader failed, see {log.relative_to(root)}")
            status = 1
        else:
            names = student_names(root)
            for page in (root / "feedback").glob(f"*/{name}/*.html"):
                student = page.parent.parent.name
                label_page(page, names.get(student, student), name)
            print(f"{name}: feedback for {len(graded)} submissions in feedback/<student>/{name}/")
            upload_zip(root, name)
    return status


def grades(root: Path, out: Path) -> int:
    """Export the gradebook to CSV with nbgrader's exporter, plus a `status` column: "graded" or "not submitted"."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    with tempfile.TemporaryDirectory() as tmp, Gradebook(gradebook_url(root)) as gradebook:
        raw = Path(tmp) / "grades.csv"
        CsvExportPlugin(to=str(raw)).export(gradebook)
        with open(raw, newline="") as fh:
            rows = list(csv.DictReader(fh))
        submitted = {(a.name, s.student.id) for a in gradebook.assignments for s in a.submissions}
    for row in rows:
        graded = (row["assignment"], row["student_id"]) in submitted
        row["status"] = "graded" if graded else "not submitted"
        if not graded:  # nbgrader writes 0 here; an empty cell cannot be mistaken for a graded 0
            row.update(raw_score="", late_submission_penalty="", score="")
    first = ["assignment", "student_id", "status"]
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=first + [k for k in (rows[0] if rows else {}) if k not in first])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}: {len(rows)} rows, {sum(r['status'] == 'graded' for r in rows)} graded")
    return 0
