"""Every CSV the course writes (grades.csv, the platform grade files, leaderboard.csv) goes through `write_csv`: the
csv module's quoting, so that a comma or a quote in a name stays inside its cell, and `spreadsheet_cell` on each cell.

A cell a spreadsheet would read as a formula (one starting with =, +, -, @, a tab or a carriage return, OWASP's "CSV
Injection" list) gets a single quote in front, which shows as text and runs nothing: "=HYPERLINK(...)" is written
"'=HYPERLINK(...)". A real number is left as it is, sign and all, so that a score of -0.5 or +1 stays a number the
spreadsheet can sum: only what matches a plain decimal number ("-0.5", "+1", "1e-3") counts as one.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_cell(value: object) -> str:
    """`value` as a CSV cell that no spreadsheet runs as a formula (None: an empty cell)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    """Write `header` and `rows` to `path` as UTF-8 CSV, every cell through `spreadsheet_cell`."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([spreadsheet_cell(cell) for cell in header])
        writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
