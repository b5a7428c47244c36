"""The class list from the learning platform: `make roster CSV=...` reads its export into nbgrader's gradebook and
roster.csv, which keeps the platform's user id and login beside each nbgrader id.

Canvas: Grades > Export > "Export Entire Gradebook" (columns Student, ID, SIS User ID, SIS Login ID, Section, ...).
Moodle: Grades > Export > "Plain text file" (columns First name, Last name, ID number, ..., Email address, ...;
Username too where the site shows it). Moodle's download names a submission by full name and participant id, which
that export lacks: each assignment's grading worksheet (Identifier, Full name, Email address, ...) is read too, after
the export, and says which participant is which student (coursetools/participants.py).
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from coursetools.nbgrader_cli import assignments, gradebook_url
from coursetools.participants import is_worksheet, replace_lesson, worksheet_lesson, worksheet_participants

ROSTER = "roster.csv"
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# Moodle 3.x's English language pack calls the last name "Surname" (its lang string lastname); 4.x "Last name".
ALIASES = {"Surname": "Last name"}
MOODLE_COLUMNS = ("First name", "Last name", "ID number", "Institution", "Department", "Email address")
NOT_GRADES = set(CANVAS_COLUMNS) | set(MOODLE_COLUMNS) | {"Integration ID", "Username", "Last downloaded from this course"}


@dataclass(frozen=True)
class Member:
    """One student of the class: nbgrader's id and the platform's ids and names."""

    id: str
    platform: str
    platform_user_id: str
    sis_user_id: str
    login: str
    first_name: str
    last_name: str
    full_name: str
    sortable_name: str
    email: str
    section: str


def safe_id(text: str) -> str:
    """`text` as an nbgrader student id (a folder name): letters, digits, dot, dash and underscore."""
    return re.sub(r"[^a-z0-9._-]+", "_", text.strip().lower()).strip("._-")


def detect(header: list[str]) -> str:
    """"canvas" or "moodle", from an export's header row."""
    if {"Student", "ID"} <= set(header):
        return "canvas"
    if {"First name", "Last name", "Email address"} <= set(header):
        return "moodle"
    raise ValueError(f"the roster's header {header[:6]} is neither Canvas's gradebook export (Student, ID, SIS User ID, "
                     "SIS Login ID, Section, ...) nor Moodle's (First name, Last name, ..., Email address, ...), nor "
                     "Moodle's grading worksheet (Identifier, Full name, ...)")


def canvas_member(row: dict) -> Member:
    """A student from a row of Canvas's gradebook export ("Doe, Jane" in Student)."""
    last, _, first = (part.strip() for part in row["Student"].partition(","))
    login = row.get("SIS Login ID") or ""
    return Member(id=safe_id(login.split("@")[0]) or f"canvas{row['ID']}", platform="canvas", platform_user_id=row["ID"].strip(),
                  sis_user_id=row.get("SIS User ID") or "", login=login, first_name=first, last_name=last, full_name=f"{first} {last}".strip(),
                  sortable_name=row["Student"].strip(), email="", section=row.get("Section") or "")


def moodle_member(row: dict) -> Member:
    """A student from a row of Moodle's gradebook export."""
    email = row["Email address"].strip()
    login = (row.get("Username") or "").strip()
    first, last = row["First name"].strip(), row["Last name"].strip()
    return Member(id=safe_id(login or email.split("@")[0]), platform="moodle", platform_user_id="",
                  sis_user_id=row.get("ID number") or "", login=login or email, first_name=first, last_name=last, full_name=f"{first} {last}",
                  sortable_name=f"{last}, {first}", email=email, section="")


def export_rows(path: Path) -> list[dict]:
    """The rows of an export, whether it was saved as UTF-8 or by a spreadsheet (cp1252), with commas, semicolons or
    tabs."""
    if path.is_dir() or not path.exists():
        raise FileNotFoundError(f"CSV={path}: no such file (give the platform's export: make roster CSV=path/to/export.csv)")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    reader.fieldnames = [ALIASES.get(name, name) for name in reader.fieldnames or []]
    return list(reader)


def read_export(path: Path) -> tuple[list[Member], list[str]]:
    """The students of a platform's export, and its grade columns (the platform's names for the assignments)."""
    rows = export_rows(path)
    header = list(rows[0]) if rows else []
    platform = detect(header)
    make = canvas_member if platform == "canvas" else moodle_member
    # Canvas's export has a "Points Possible" row (and sometimes a muted row) before the students; a test student too.
    students = [r for r in rows if (r.get("ID") or "").strip().isdigit() or platform == "moodle"]
    members = [make(r) for r in students if (r.get("Student") or "") != "Student, Test"]
    duplicates = sorted({m.id for m in members if [n.id for n in members].count(m.id) > 1})
    if duplicates:
        raise ValueError(f"two students of {path.name} would get the same id {duplicates}: give them distinct logins")
    if platform == "moodle":
        names = [" ".join(m.full_name.casefold().split()) for m in members]
        for name in sorted({n for n in names if names.count(n) > 1}):
            print(f"note: {names.count(name)} students are named {name!r}; unless each lesson's grading worksheet is "
                  "imported too (make roster CSV=<worksheet>), make collect leaves their files for you to place by hand")
    return members, [h for h in header if h and h not in NOT_GRADES and not h.endswith(("Score", "Points", "Grade"))
                     and not h.startswith("Course total")]


def read_roster(root: Path) -> list[Member]:
    """The class as the last `make roster` saved it (roster.csv in the course root)."""
    path = root / ROSTER
    if not path.is_file():
        raise FileNotFoundError(f"no {ROSTER} in {root}: import the class list first, with make roster CSV=<export>")
    with open(path, newline="") as fh:
        return [Member(**{f.name: row[f.name] for f in fields(Member)}) for row in csv.DictReader(fh)]


def grade_columns(root: Path) -> list[str]:
    """The platform's names for its assignments, as the last roster export listed them."""
    path = root / "roster-columns.txt"
    return path.read_text().splitlines() if path.is_file() else []


def roster(root: Path, export: Path, platform: str) -> int:
    """Import a Canvas or Moodle export: students into the gradebook (created or updated, none removed), and roster.csv;
    or a Moodle grading worksheet (see worksheet)."""
    from nbgrader.api import Gradebook

    rows = export_rows(export)
    if rows and is_worksheet(list(rows[0])):
        return worksheet(root, export, rows, platform)
    members, columns = read_export(export)
    found = members[0].platform if members else platform
    if found != platform:
        raise ValueError(f"{export.name} is a {found} export, but nbgrader_config.py sets c.LearningPlatform.name = "
                         f"{platform!r}: set it to {found!r}")
    earlier = {m.id: m for m in read_roster(root)} if (root / ROSTER).is_file() else {}
    kept = [m for m in earlier.values() if m.id not in {n.id for n in members}]  # left the platform: kept, not dropped
    with Gradebook(gradebook_url(root)) as gradebook:
        for m in members:
            gradebook.update_or_create_student(m.id, first_name=m.first_name, last_name=m.last_name,
                                               email=m.email or None, lms_user_id=m.platform_user_id or m.sis_user_id or None)
    with open(root / ROSTER, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[f.name for f in fields(Member)])
        writer.writeheader()
        writer.writerows(asdict(m) for m in members + kept)
    (root / "roster-columns.txt").write_text("".join(f"{c}\n" for c in columns))
    new = sum(m.id not in earlier for m in members)
    print(f"{ROSTER}: {len(members)} students from {export.name} ({found}), {new} new"
          + (f"; {len(kept)} earlier students no longer in the export are kept" if kept else ""))
    return 0


def worksheet(root: Path, path: Path, rows: list[dict], platform: str) -> int:
    """Import a Moodle assignment's grading worksheet: which participant id is which student of roster.csv."""
    if platform != "moodle":
        raise ValueError(f"{path.name} is Moodle's grading worksheet, but nbgrader_config.py sets "
                         f"c.LearningPlatform.name = {platform!r}")
    members = read_roster(root)
    lesson = worksheet_lesson(path.name, assignments(root))
    found, notes = worksheet_participants(rows, members, lesson)
    notes += replace_lesson(root, lesson, found)
    print(f"roster-participants.csv: {len(found)} participants of {lesson} from {path.name} (Moodle's grading "
          f"worksheet); make collect LESSON={lesson} now finds each file's student by its participant id")
    for note in notes:
        print(f"  note: {note}")
    return 0
