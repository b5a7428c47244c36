"""Feedback pages and the grades CSV, from the gradebook."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

from coursetools.nbgrader_cli import assignments, gradebook_url, nbgrader

TEST_LINK = re.compile(r'<a href="#([\w-]+)">Test cell</a>')


def name_the_checks(page: Path) -> None:
    """Label each link of a feedback page's score summary with its check's name instead of "Test cell"."""
    page.write_text(TEST_LINK.sub(r'<a href="#\1">\1</a>', page.read_text()))


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
            for page in (root / "feedback").glob(f"*/{name}/*.html"):
                name_the_checks(page)
            print(f"{name}: feedback for {len(graded)} submissions in feedback/<student>/{name}/")
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
