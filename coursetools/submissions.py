"""Finding the submissions in submitted/ and saying plainly what is wrong with any that cannot be graded."""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import nbformat

from coursetools.plain_copy import MAX_DEPTH, deeper_than

LAYOUT = "submitted/<student>/<lesson>/<lesson>.ipynb, for example submitted/alice/{0}/{0}.ipynb"


@dataclass(frozen=True)
class Submission:
    """One student's notebook for one lesson."""

    student: str
    assignment: str
    notebook: Path

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}"


@dataclass(frozen=True)
class Problem:
    """Something in submitted/ that cannot be graded: where, why, and how to fix it."""

    where: str
    why: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}\n    fix: {self.fix}"


def sha256(notebook: Path) -> str:
    """The sha256 of a submitted notebook's bytes and of its timestamp.txt, if any (a corrected time is a change)."""
    stamp = notebook.parent / "timestamp.txt"
    return hashlib.sha256(notebook.read_bytes() + (b"\0" + stamp.read_bytes() if stamp.is_file() else b"")).hexdigest()


def _visible(folder: Path) -> list[Path]:
    """The entries of `folder`, without hidden ones (.ipynb_checkpoints, .DS_Store)."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def not_plain(folder: Path) -> list[str]:
    """The paths below `folder` (relative to it) that are neither regular files nor folders: links, devices, pipes."""
    found = []
    for top, folders, files in os.walk(folder):  # never into a linked folder
        for name in folders + files:
            mode = os.lstat(os.path.join(top, name)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(os.path.relpath(os.path.join(top, name), folder))
    return sorted(found)


def _check_lesson_folder(folder: Path, student: str, lesson: str) -> Submission | Problem:
    """The submission in submitted/<student>/<lesson>/, or what is wrong with it."""
    where = f"submitted/{student}/{lesson}"
    expected = folder / f"{lesson}.ipynb"
    if deeper_than(folder):
        return Problem(where, f"not graded: it holds folders nested more than {MAX_DEPTH} deep",
                       f"remove them from {where}, then make autograde again")
    odd = not_plain(folder)
    if odd:  # nbgrader's autograde would copy what a link points to, with the grader's rights
        return Problem(where, f"not graded: {', '.join(odd)[:300]} {'is' if len(odd) == 1 else 'are'} not a plain "
                       "file (a link, a device or a pipe), which grading never follows or reads",
                       f"remove {'it' if len(odd) == 1 else 'them'} from {where} (make collect never puts one there), "
                       "then make autograde again")
    if not expected.is_file():
        others = [p.name for p in _visible(folder) if p.suffix == ".ipynb"]
        if others:
            return Problem(where, f"no {lesson}.ipynb, but {others}",
                           f"rename the student's notebook to {where}/{lesson}.ipynb")
        return Problem(where, f"no notebook ({'empty folder' if not _visible(folder) else 'no .ipynb file'})",
                       f"put the student's notebook at {where}/{lesson}.ipynb")
    try:
        nbformat.read(expected, as_version=4)
    except Exception as error:  # nbformat raises several kinds for a damaged file
        return Problem(f"{where}/{lesson}.ipynb", f"not a readable notebook ({type(error).__name__}: {error})"[:300],
                       "ask the student to hand in the .ipynb file again")
    return Submission(student, lesson, expected)


def find_submissions(root: Path, lessons: list[str], released: set[str]) -> tuple[list[Submission], list[Problem]]:
    """Every gradable submission under root/submitted, and a Problem for everything else found there."""
    submitted = root / "submitted"
    layout = LAYOUT.format(lessons[0] if lessons else "lesson1")
    if not submitted.is_dir():
        return [], [Problem("submitted/", "there is no submitted/ folder", f"put each notebook at {layout}")]
    found: list[Submission] = []
    problems: list[Problem] = []
    if not _visible(submitted):
        problems.append(Problem("submitted/", "no submissions yet (the folder is empty)", f"put each notebook at {layout}"))
    for student in _visible(submitted):
        if not student.is_dir():
            problems.append(Problem(f"submitted/{student.name}", "a file where a student's folder should be",
                                    f"put each notebook at {layout}"))
            continue
        entries = _visible(student)
        if not entries:
            problems.append(Problem(f"submitted/{student.name}", "an empty student folder", f"put each notebook at {layout}"))
        for entry in entries:
            where = f"submitted/{student.name}/{entry.name}"
            if entry.name in lessons and entry.is_dir():
                result = _check_lesson_folder(entry, student.name, entry.name)
                (found if isinstance(result, Submission) else problems).append(result)
            elif entry.is_dir():
                close = difflib.get_close_matches(entry.name, lessons, n=1, cutoff=0.3)
                hint = f"rename the folder to {close[0]}" if close else "rename the folder to the lesson's name"
                problems.append(Problem(where, f"unknown lesson {entry.name!r} (the lessons are {', '.join(lessons)})",
                                        hint))
            else:
                problems.append(Problem(where, "a file outside a lesson folder", f"move it to {layout}"))
    for lesson in sorted({s.assignment for s in found} - released):
        count = sum(s.assignment == lesson for s in found)
        problems.append(Problem(f"submitted/*/{lesson}", f"{lesson} is not released yet ({count} submissions wait)",
                                "run `make release` first, then `make autograde` again"))
    return [s for s in found if s.assignment in released], problems
