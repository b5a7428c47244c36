"""A learning platform's files, written as Canvas and Moodle write them, for the tests of make roster, collect and grades.

Canvas: the gradebook export (Grades > Export) and "Download Submissions"; Moodle: the gradebook's plain-text export,
"Download all submissions" and an assignment's grading worksheet; nbgrader's exchange: a submission in inbound/.
Students: Jane Doe, Ali Khan, Bea Lund, Chen Wu, Jörg Müller and Dan Orr, who hands in nothing.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import nbformat

# (first, last, Canvas user id, login)
CLASS = [("Jane", "Doe", "101", "jdoe"), ("Ali", "Khan", "102", "akhan"), ("Bea", "Lund", "103", "blund"),
         ("Chen", "Wu", "104", "cwu"), ("Dan", "Orr", "105", "dorr"), ("Jörg", "Müller", "106", "jmueller")]
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Tiny (9001)", "Tiny 2 (9002)",
                 "Current Score", "Final Score"]


def canvas_roster(path: Path) -> Path:
    """Canvas's gradebook export: a header, the "Points Possible" row, one row per student and the test student."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(CANVAS_HEADER)
        writer.writerow(["    Points Possible", "", "", "", "", "1", "1", "(read only)", "(read only)"])
        for first, last, uid, login in CLASS:
            writer.writerow([f"{last}, {first}", uid, f"S{uid}", login, "Section 1", "", "", "", ""])
        writer.writerow(["Student, Test", "999", "", "", "Section 1", "", "", "", ""])
    return path


def moodle_roster(path: Path, extra: tuple = (), surname: bool = False) -> Path:
    """Moodle's gradebook export, plain text (CSV), with `extra` students (first, last, login) too; `surname`: as
    Moodle 3.x writes it, whose English language pack calls the lastname field "Surname" (4.x: "Last name")."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["First name", "Surname" if surname else "Last name", "ID number", "Institution", "Department", "Email address",
                         "Assignment: Tiny (Real)", "Course total (Real)", "Last downloaded from this course"])
        for first, last, uid, login in CLASS:
            writer.writerow([first, last, f"S{uid}", "", "", f"{login}@uni.example", "-", "-", "1764633600"])
        for first, last, login in extra:
            writer.writerow([first, last, "", "", "", f"{login}@uni.example", "-", "-", "1764633600"])
    return path


def notebook_bytes(root: Path, lesson: str, answer: str) -> bytes:
    """The student notebook of `lesson` with `answer` in its gap, as a file's bytes."""
    nb = nbformat.read(root / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
    nb.cells[0].source = answer
    return nbformat.writes(nb).encode()


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    """A zip holding `files` (name inside the zip -> bytes)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip holding `files`, as bytes (a zip a student handed in)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def canvas_download(root: Path, path: Path, lesson: str = "tiny") -> Path:
    """Canvas's "Download Submissions" of `lesson`: Jane and Jörg on time; Ali late; Bea twice (the second, -1, answers
    right); Chen under another name; a stray file; Canvas's Test Student; Dan nothing. Jane also handed in a zip
    holding a wrong notebook named as Ali's newest file would be."""
    right, wrong = notebook_bytes(root, lesson, "answer = 42"), notebook_bytes(root, lesson, "answer = 41")
    return write_zip(path, {
        "doejane_101_5090_extra.zip": zip_bytes({f"khanali_LATE_102_9999_{lesson}.ipynb": wrong}),
        f"doejane_101_5001_{lesson}.ipynb": right,
        f"khanali_LATE_102_5002_{lesson}.ipynb": right,
        f"müllerjörg_106_5006_{lesson}.ipynb": right,
        f"studenttest_999_5099_{lesson}.ipynb": right,
        f"lundbea_103_5003_{lesson}.ipynb": wrong,
        f"lundbea_103_5013_{lesson}-1.ipynb": right,
        "wuchen_104_5004_Tiny lesson (Chen).ipynb": right,
        "wuchen_104_5005_notes.txt": b"my notes",
    })


# How Moodle names each file of "Download all submissions" (<full name>_<participant id> is the prefix):
MOODLE_LAYOUTS = {
    # in folders, mod/assign/locallib.php's download_submissions (Moodle 3.1 on): clean_filename(prefix . '_' .
    # subtype . '_' . type . '_') . $file->get_filepath() . name, the file path starting with "/"
    "folders": "{}_{}_assignsubmission_file_/",
    # in folders, mod/assign/classes/downloader.php (later Moodle): clean_filename(prefix . '_' . subtype . '_' .
    # type) . $file->get_filepath() . name
    "folders-downloader": "{}_{}_assignsubmission_file/",
    # flat, "Download submissions in folders" off: clean_filename(prefix . '_' . subtype . '_' . type . '_' . name)
    "flat": "{}_{}_assignsubmission_file_",
}


def moodle_download(root: Path, path: Path, lesson: str = "tiny", layout: str = "folders") -> Path:
    """Moodle's "Download all submissions" in `layout` (MOODLE_LAYOUTS): as canvas_download, but Moodle's names and no
    late mark; a student Moodle knows but the roster does not."""
    right, wrong = notebook_bytes(root, lesson, "answer = 42"), notebook_bytes(root, lesson, "answer = 41")
    folder = MOODLE_LAYOUTS[layout]
    return write_zip(path, {
        folder.format("Jane Doe", 7001) + f"{lesson}.ipynb": right,
        folder.format("Ali Khan", 7002) + f"{lesson}.ipynb": right,
        folder.format("Bea Lund", 7003) + f"{lesson}.ipynb": wrong,
        folder.format("Bea Lund", 7003) + f"{lesson} (1).ipynb": right,
        folder.format("Chen Wu", 7004) + "Tiny lesson.ipynb": right,
        folder.format("Eve Stranger", 7009) + f"{lesson}.ipynb": right,
        folder.format("Ana Li", 7010) + f"{lesson}.ipynb": right,
        folder.format("Bea Lund", 7003).replace("assignsubmission_file", "assignsubmission_onlinetext")
        + "onlinetext.html": b"<p>see my notebook</p>",
    })


# Moodle's grading worksheet (View all submissions > Download grading worksheet): mod/assign's gradingtable.php
# downloaded by assignfeedback_offline, its first column "Identifier" (lang string recordid) holding "Participant "
# (hiddenuser) and the participant id, then the full name and the identity fields the site shows (the email by default).
WORKSHEET_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]


def moodle_worksheet(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Moodle's grading worksheet with one row per (participant id, full name, email address). Moodle names the file
    Grades-<course>-<assignment>-<course module id>.csv (assignfeedback_offline's download_grades)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(WORKSHEET_HEADER)
        for participant, name, email in rows:
            writer.writerow([f"Participant {participant}", name, email, "Submitted for grading", "", "1.00", "Yes",
                             "Monday, 1 December 2026, 4:12 PM", "-", ""])
    return path


def exchange_submission(inbound: Path, student: str, lesson: str, notebook: bytes, timestamp: str,
                        random: str = "QUJDREVGR0hJ") -> Path:
    """A submission in the exchange's inbound/ as nbgrader's submit writes it (exchange/default/submit.py): the folder
    <student>+<lesson>+<timestamp>+<random>, holding the notebook, timestamp.txt and submission_secret.txt, with the
    modes submit gives them (files 0444, the folder 0777)."""
    folder = inbound / f"{student}+{lesson}+{timestamp}+{random}"
    folder.mkdir()
    (folder / f"{lesson}.ipynb").write_bytes(notebook)
    (folder / "timestamp.txt").write_text(timestamp)
    (folder / "submission_secret.txt").write_text("ab" * 64)
    for name in (f"{lesson}.ipynb", "timestamp.txt", "submission_secret.txt"):
        os.chmod(folder / name, 0o444)
    os.chmod(folder, 0o777)
    return folder
