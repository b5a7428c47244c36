"""The instructor's path on a tiny course of two one-point lessons, with the real nbgrader:
what gets graded, what is refused and why, resubmissions, and grades that tell "not submitted" from 0."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from coursetools.nbgrader_cli import nbgrader_env
from notebook_tools import coursetools
from tiny_course import LESSONS, make_tiny_course, submit


@pytest.fixture
def tiny_course(tmp_path) -> Path:
    return make_tiny_course(tmp_path)


def scores(root: Path) -> dict[tuple[str, str], str]:
    """(student, lesson) -> score in a fresh grades.csv ("" when not submitted)."""
    coursetools(root, "grades")
    with open(root / "grades.csv", newline="") as fh:
        return {(r["student_id"], r["assignment"]): r["score"] for r in csv.DictReader(fh)}


def statuses(root: Path, student: str = "alice") -> dict[tuple[str, str], str]:
    """(student, lesson) -> status in the last grades.csv, for one student."""
    with open(root / "grades.csv", newline="") as fh:
        return {(r["student_id"], r["assignment"]): r["status"] for r in csv.DictReader(fh) if r["student_id"] == student}


def test_no_submitted_folder_says_where_notebooks_go(released_course):
    result = coursetools(released_course, "autograde", check=False)
    assert result.returncode == 1
    assert "there is no submitted/ folder" in result.stdout and "submitted/alice/tiny/tiny.ipynb" in result.stdout
    (released_course / "submitted").mkdir()
    result = coursetools(released_course, "autograde", check=False)
    assert result.returncode == 1 and "no submissions yet (the folder is empty)" in result.stdout


def test_autograde_before_release_says_to_run_make_release(tiny_course):
    coursetools(tiny_course, "student-notebooks")
    submit(tiny_course, "alice", "tiny", "answer = 42")
    result = coursetools(tiny_course, "autograde", check=False)
    assert result.returncode == 1
    assert "tiny is not released yet" in result.stdout and "run `make release` first" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_release_of_one_lesson_registers_that_lesson_alone(tiny_course):
    from coursetools.nbgrader_cli import released

    coursetools(tiny_course, "release", "--lessons", "tiny")
    assert released(tiny_course) == {"tiny"}
    assert not (tiny_course / "notebooks" / "tiny2").exists()


def test_what_cannot_be_graded_is_listed_with_its_fix_and_the_rest_is_graded(released_course):
    root = released_course
    submit(root, "alice", "tiny", "answer = 42")
    submit(root, "alice", "tiny2", "answer = 41")
    submit(root, "erin", "tiny", "answer = 42", folder="tiny1")  # unknown lesson folder
    submit(root, "frank", "tiny", "answer = 42", name="tiny (1).ipynb")  # misnamed notebook
    (root / "submitted" / "zoe" / "tiny").mkdir(parents=True)  # empty lesson folder
    (root / "submitted" / "broken" / "tiny").mkdir(parents=True)
    (root / "submitted" / "broken" / "tiny" / "tiny.ipynb").write_text("{not json")
    result = coursetools(root, "autograde", check=False)
    out = result.stdout
    assert result.returncode == 1, out
    assert "submitted/erin/tiny1: unknown lesson 'tiny1'" in out and "rename the folder to tiny" in out
    assert "submitted/frank/tiny: no tiny.ipynb, but ['tiny (1).ipynb']" in out
    assert "rename the student's notebook to submitted/frank/tiny/tiny.ipynb" in out
    assert "submitted/zoe/tiny: no notebook (empty folder)" in out
    assert "submitted/broken/tiny/tiny.ipynb: not a readable notebook" in out
    assert "graded 2, failed 0, not gradable 4" in out
    assert "Traceback" not in out + result.stderr
    assert scores(root) == {("alice", "tiny"): "1.0", ("alice", "tiny2"): "0.0"}


def test_a_resubmission_is_regraded_and_the_earlier_grading_kept(released_course):
    root = released_course
    submit(root, "alice", "tiny", None)
    submit(root, "bob", "tiny", "answer = 42")
    coursetools(root, "autograde")
    # A blank notebook is graded 0; a lesson never handed in has no score at all.
    assert scores(root) == {("alice", "tiny"): "0.0", ("bob", "tiny"): "1.0",
                            ("alice", "tiny2"): "", ("bob", "tiny2"): ""}
    assert statuses(root) == {("alice", "tiny"): "graded", ("alice", "tiny2"): "not submitted"}
    submit(root, "alice", "tiny", "answer = 42")  # alice hands in again
    result = coursetools(root, "autograde")
    assert "1 to grade, 1 unchanged" in result.stdout
    assert "alice/tiny (changed since it was graded): 1/1" in result.stdout
    kept = list((root / "archive" / "autograded" / "alice" / "tiny").glob("*/tiny.ipynb"))
    assert len(kept) == 1 and "answer = 42" not in kept[0].read_text(), "the earlier graded copy is kept"
    assert scores(root)[("alice", "tiny")] == "1.0"
    assert "0 to grade, 2 unchanged" in coursetools(root, "autograde").stdout


def test_student_and_assignment_pick_what_to_grade(released_course):
    root = released_course
    for student in ("alice", "bob"):
        for lesson in LESSONS:
            submit(root, student, lesson, "answer = 42")
    submit(root, "erin", "tiny", "answer = 42", folder="tiny1")  # someone else's problem
    result = coursetools(root, "autograde", "--student", "bob", "--assignment", "tiny2")
    assert "1 to grade" in result.stdout and "bob/tiny2 (new): 1/1" in result.stdout
    assert "alice/" not in result.stdout and "erin" not in result.stdout
    regrade = coursetools(root, "autograde", "--force", "--student", "bob", "--assignment", "tiny2")
    assert "bob/tiny2 (FORCE): 1/1" in regrade.stdout
    bad = coursetools(root, "autograde", "--assignment", "tiny3", check=False)
    assert bad.returncode != 0 and "ASSIGNMENT='tiny3' is not a lesson of this course" in bad.stderr


def test_feedback_and_autograde_keep_nbgraders_noise_in_log_files(released_course):
    root = released_course
    submit(root, "alice", "tiny", "answer = 41")
    graded = coursetools(root, "autograde", check=False)
    given = coursetools(root, "feedback")
    terminal = graded.stdout + graded.stderr + given.stdout + given.stderr
    assert "running over TCP" not in terminal and "Removing existing" not in terminal
    assert (root / "logs" / "autograde" / "tiny" / "alice.log").exists()
    assert "not recognized" not in (root / "logs" / "feedback" / "tiny.log").read_text()
    page = (root / "feedback" / "alice" / "tiny" / "tiny.html").read_text()
    assert "answer should be 42, got 41" in page
    assert '<a href="#check">check</a>' in page and "Test cell" not in page, "summary links name their check"


def nbgrader_db(root: Path, *args: str) -> None:
    """`nbgrader db ...` in the course root, as the README shows it."""
    subprocess.run([sys.executable, "-m", "nbgrader", "db", *args], cwd=root, env=nbgrader_env(), check=True,
                   capture_output=True)


def test_class_list_due_dates_late_penalties_and_timestamps_as_the_readme_shows(released_course):
    root = released_course
    (root / "students.csv").write_text("id,first_name,last_name,email\n"
                                       "alice,Alice,Ash,alice@example.org\nbob,Bob,Birch,bob@example.org\n")
    nbgrader_db(root, "student", "import", "students.csv")
    nbgrader_db(root, "assignment", "add", "tiny", "--duedate=2026-12-01 17:00:00 UTC")
    with open(root / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    on_time = submit(root, "alice", "tiny", "answer = 42")
    (on_time.parent / "timestamp.txt").write_text("2026-12-01 16:59:00 UTC")
    late = submit(root, "bob", "tiny", "answer = 42")
    (late.parent / "timestamp.txt").write_text("2026-12-01 17:30:00 UTC")
    coursetools(root, "autograde")
    coursetools(root, "grades")
    with open(root / "grades.csv", newline="") as fh:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}
    alice, bob = rows[("alice", "tiny")], rows[("bob", "tiny")]
    assert (alice["email"], alice["last_name"], alice["score"]) == ("alice@example.org", "Ash", "1.0")
    assert alice["timestamp"].startswith("2026-12-01 16:59:00")
    assert (bob["raw_score"], bob["late_submission_penalty"], bob["score"]) == ("1.0", "1.0", "0.0")
    assert rows[("bob", "tiny2")]["status"] == "not submitted"
