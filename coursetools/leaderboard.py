"""The challenge's leaderboard: every autograded lesson-3 submission ranked by the Recall@20 that the grading process
measured on the hidden world (grader-figures/, written by coursetools/trusted.py), never by what a notebook printed."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from coursetools.pages import sanitize_fragment
from coursetools.spreadsheet import write_csv
from coursetools.trusted import FIGURES

CHALLENGE = "lesson3_challenge"
COLUMNS = ["rank", "student", "hidden Recall@20", "hidden NDCG@20", "note"]


def hidden_figures(root: Path, student: str) -> dict | None:
    """What the grader measured of `student`'s challenge on the hidden world, or None if it measured nothing."""
    path = root / FIGURES / CHALLENGE / f"{student}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def leaderboard(root: Path) -> int:
    """Write leaderboard.csv and leaderboard.html in `root` for every student with an autograded lesson 3."""
    rows = []
    for notebook in sorted((root / "autograded").glob(f"*/{CHALLENGE}/{CHALLENGE}.ipynb")):
        student = notebook.parent.parent.name
        figures = hidden_figures(root, student)
        note = (figures.get("flag", "") if figures
                else "no hidden score: the challenge's contract check failed before it")
        rows.append({"student": student, "hidden Recall@20": figures["hidden Recall@20"] if figures else None,
                     "hidden NDCG@20": figures["hidden NDCG@20"] if figures else None, "note": note})
    table = pd.DataFrame(rows, columns=COLUMNS[1:])
    table = table.sort_values(["hidden Recall@20", "hidden NDCG@20", "student"], ascending=[False, False, True],
                              na_position="last", kind="stable")
    table.insert(0, "rank", table["hidden Recall@20"].rank(method="min", ascending=False).astype("Int64"))
    write_csv(root / "leaderboard.csv", COLUMNS, [[None if pd.isna(v) else v for v in row]
                                                  for row in table.itertuples(index=False)])
    (root / "leaderboard.html").write_text(page(table), encoding="utf-8")
    flagged = (table["note"].str.startswith("above")).sum()
    print(f"wrote leaderboard.csv and leaderboard.html: {table['rank'].notna().sum()} ranked, "
          f"{table['rank'].isna().sum()} without a hidden score"
          + (f"; {flagged} above what the true preferences allow, flagged in the note: look at them" if flagged else ""))
    return 0


def page(table: pd.DataFrame) -> str:
    """A small standalone HTML page holding the table: student names and notes escaped, then the table sanitized as
    the feedback pages are (coursetools/pages.py)."""
    table_html = table.to_html(index=False, na_rep="", float_format="{:.4f}".format, escape=True, border=0)
    body = sanitize_fragment(table_html)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Challenge leaderboard</title>\n"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "th,td{padding:.3em .8em;border-bottom:1px solid #ccc;text-align:left}</style></head><body>\n"
            f"<h1>{html.escape('Lesson 3 challenge: music recommendation')}</h1>\n"
            "<p>Ranked by Recall@20 on the hidden world, then NDCG@20.</p>\n" + body + "\n</body></html>\n")
