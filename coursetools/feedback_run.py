"""`make feedback` for one lesson: nbgrader's generate_feedback run with a time limit into a staging folder, and only
the pages it rendered in full put in feedback/. A submission whose page did not render has no page in feedback/
afterwards: its earlier page (of an earlier grading, perhaps) is moved to archive/feedback/, so that no old page is
handed out, released or zipped for upload as if it were current."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from coursetools.nbgrader_cli import NBGRADER_MAIN, nbgrader_env
from coursetools.pages import is_sanitized

COMPLETE = "</html>\n"  # how every page sanitize_page makes ends: a page cut short by a kill does not


@dataclass
class Rendering:
    """What one lesson's rendering made: student -> page in the staging folder, and student -> why there is none."""

    pages: dict[str, Path] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def run_nbgrader(root: Path, args: list[str], log: Path, timeout: float) -> int | None:
    """Run `nbgrader ARGS` in `root`, its output appended to `log`; its exit code, or None if it ran past `timeout`
    seconds and was killed (with every process it started)."""
    command = [sys.executable, "-c", NBGRADER_MAIN, *args, "--log-level=WARN"]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        process = subprocess.Popen(command, cwd=root, env=nbgrader_env(), stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            out.write(f"\n[make feedback: generate_feedback ran past {timeout:g} s and was stopped]\n")
            return None


def page_problem(page: Path) -> str | None:
    """What is wrong with a staged page (None: nothing): missing, cut short by a kill, or not sanitized (rendered
    without the course's exporter: nbgrader goes on with its defaults when nbgrader_config.py fails to import)."""
    if not page.is_file():
        return "generate_feedback could not render it"
    text = page.read_text(encoding="utf-8", errors="replace")
    if not text.endswith(COMPLETE):
        return "its rendering was stopped before the page was written in full"
    if not is_sanitized(text):
        return ("its page was not made by the course's sanitizing exporter (did nbgrader_config.py fail to load in "
                "nbgrader?), so it was not used")
    return None


def staged_pages(staging: Path, lesson: str) -> dict[str, Path]:
    """student -> their page in `staging`, for each page rendered in full and sanitized."""
    pages = staging.glob(f"*/{lesson}/{lesson}.html")
    return {page.parent.parent.name: page for page in pages if page_problem(page) is None}


def render(root: Path, lesson: str, students: list[str], staging: Path, log: Path, timeout: float) -> Rendering:
    """Render `lesson`'s pages of `students` into `staging`: the whole lesson in one run of at most `timeout` s; if it
    runs out of time, each page not rendered yet in a run of its own, with as much time."""
    args = ["generate_feedback", lesson, "--force", f"--CourseDirectory.feedback_directory={staging}"]
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    late = set()
    if run_nbgrader(root, args, log, timeout) is None:
        for student in [s for s in students if s not in staged_pages(staging, lesson)]:
            if run_nbgrader(root, [*args, f"--CourseDirectory.student_id={student}"], log, timeout) is None:
                late.add(student)
    done = staged_pages(staging, lesson)
    too_long = f"rendering ran past c.FeedbackPages.timeout ({timeout:g} s), in the lesson's run and on its own"
    failed = {s: too_long if s in late else page_problem(staging / s / lesson / f"{lesson}.html")
              for s in students if s not in done}
    return Rendering({s: done[s] for s in students if s in done}, failed)


def new_folder(base: Path) -> Path:
    """A folder below `base` named by the time now (UTC), not used before."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder = next(base / f"{stamp}{suffix}" for suffix in ["", *(f"-{n}" for n in range(2, 1000))]
                  if not (base / f"{stamp}{suffix}").exists())
    folder.mkdir(parents=True)
    return folder


def set_aside(root: Path, lesson: str, current: set[str]) -> list[str]:
    """Move every page of `lesson` in feedback/ whose student is not in `current` to archive/feedback/<student>/
    <lesson>/<time>/; the students whose pages were moved."""
    moved = []
    for page in sorted((root / "feedback").glob(f"*/{lesson}/*.html")):
        student = page.parent.parent.name
        if student in current and page.name == f"{lesson}.html":
            continue
        dest = new_folder(root / "archive" / "feedback" / student / lesson)
        shutil.move(page, dest / page.name)
        moved.append(student)
    return sorted(set(moved))


def install(root: Path, lesson: str, pages: dict[str, Path]) -> dict[str, Path]:
    """Put each staged page at feedback/<student>/<lesson>/<lesson>.html (replacing the one there in one step)."""
    placed = {}
    for student, staged in sorted(pages.items()):
        dest = root / "feedback" / student / lesson / f"{lesson}.html"
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, dest)
        placed[student] = dest
    return placed


def staging_folder(root: Path, lesson: str) -> Path:
    """A fresh private folder for one run's pages, on the same disk as feedback/ (feedback/.rendering-...)."""
    (root / "feedback").mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".rendering-{lesson}-", dir=root / "feedback"))
