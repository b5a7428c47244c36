"""The challenge's leaderboard: every autograded lesson-3 submission ranked by the Recall@20 its hidden check measured."""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
import pandas as pd

CHALLENGE = "lesson3_challenge"
CHECK = "test_gap7_contract"  # the graded cell that scores the recommender on the hidden world and prints the report
COLUMNS = ["rank", "student", "hidden Recall@20", "hidden NDCG@20", "note"]


def hidden_scores(notebook: Path) -> tuple[float, float] | None:
    """(Recall@20, NDCG@20) from the hidden check's report in an autograded notebook, or None if it printed none."""
    from helpers.challenge import REPORT  # the report's format lives beside the code that prints it

    nb = nbformat.read(notebook, as_version=4)
    cell = next((c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == CHECK), None)
    text = "".join(o.get("text", "") for o in (cell.outputs if cell else []) if o.output_type == "stream")
    found = list(REPORT.finditer(text))  # the last: the grader prints it after the student's code has run
    return (float(found[-1]["recall"]), float(found[-1]["ndcg"])) if found else None


def leaderboard(root: Path) -> int:
    """Write leaderboard.csv and leaderboard.html in `root` from autograded/*/lesson3_challenge/."""
    rows = []
    for notebook in sorted((root / "autograded").glob(f"*/{CHALLENGE}/{CHALLENGE}.ipynb")):
        student = notebook.parent.parent.name
        scores = hidden_scores(notebook)
        note = "" if scores else "no hidden score: the challenge's contract check failed before it"
        rows.append({"student": student, "hidden Recall@20": scores[0] if scores else None,
                     "hidden NDCG@20": scores[1] if scores else None, "note": note})
    table = pd.DataFrame(rows, columns=COLUMNS[1:])
    table = table.sort_values(["hidden Recall@20", "hidden NDCG@20", "student"], ascending=[False, False, True],
                              na_position="last", kind="stable")
    table.insert(0, "rank", table["hidden Recall@20"].rank(method="min", ascending=False).astype("Int64"))
    table.to_csv(root / "leaderboard.csv", index=False)
    (root / "leaderboard.html").write_text(page(table), encoding="utf-8")
    print(f"wrote leaderboard.csv and leaderboard.html: {table['rank'].notna().sum()} ranked, "
          f"{table['rank'].isna().sum()} without a hidden score")
    return 0


def page(table: pd.DataFrame) -> str:
    """A small standalone HTML page holding the table (student names escaped)."""
    body = table.to_html(index=False, na_rep="", float_format="{:.4f}".format, escape=True, border=0)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Challenge leaderboard</title>\n"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "th,td{padding:.3em .8em;border-bottom:1px solid #ccc;text-align:left}</style></head><body>\n"
            f"<h1>{html.escape('Lesson 3 challenge: music recommendation')}</h1>\n"
            "<p>Ranked by Recall@20 on the hidden world, then NDCG@20.</p>\n" + body + "\n</body></html>\n")
