"""docs/changing-a-lesson.md's three worked changes, made on a copy of the tiny course after a class of three has
handed in and been graded: a stricter threshold, a new graded question with its grader's check, and a removed
question. After each, every submission is regraded with the new points, no submission shows a 0 it did not score,
and grades.csv and the platform's file are right for every student."""

from __future__ import annotations

import csv
import os

import nbformat
import pytest

from coursetools.autograde import FAILED, failures, load_record, save_record, why_grade
from coursetools.submissions import Submission, sha256
from notebook_tools import coursetools
from platform_files import canvas_roster
from tiny_course import make_tiny_course, submit

# The lesson: set `answer` to 42 (2 points), then two more graded cells of 1 point each.
CELLS = {
    "check": ("assert answer == 42, f'answer should be 42, got {answer}'", 2),
    "check_big": ("assert answer > 10, 'answer should be above 10'", 1),
    "check_even": ("assert answer % 2 == 0, 'answer should be even'", 1),
    "check_two": ("assert second == 2, 'second should be 2'", 1),  # below a new answer cell, gap_two
}
CHECKS = {
    "check": "    assert got['answer'] == 42, f\"answer should be 42, got {got['answer']}\"\n",
    "check_big": "    assert got['answer'] > 10, 'answer should be above 10'\n",
    "check_even": "    assert got['answer'] % 2 == 0, 'answer should be even'\n",
    "check_two": "    assert got['answer'] == 2, 'second should be 2'\n",
}


def lesson(names: list[str], big: int = 10) -> tuple[nbformat.NotebookNode, str]:
    """The tiny lesson's source notebook with the graded cells `names`, and its verify.py; `big` is check_big's
    threshold, written in both (the visible check and the grader's)."""
    gap = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION")
    gap.metadata["nbgrader"] = {"grade": False, "grade_id": "gap", "locked": False, "schema_version": 3,
                                "solution": True, "task": False}
    cells, verify = [gap], "def world():\n    return None\n"
    for name in names:
        visible, points = CELLS[name]
        if name == "check_two":  # a new question: an answer cell, then its test cell
            answer = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nsecond = 2\n### END SOLUTION")
            answer.metadata["nbgrader"] = {**gap.metadata["nbgrader"], "grade_id": "gap_two"}
            cells.append(answer)
        exported = "second" if name == "check_two" else "answer"
        cell = nbformat.v4.new_code_cell(f"{visible.replace('10', str(big))}\n### BEGIN HIDDEN TESTS\nimport helpers\n"
                                         f"helpers.export({name!r}, answer={exported})\n### END HIDDEN TESTS")
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": name, "locked": True, "points": points,
                                     "schema_version": 3, "solution": False, "task": False}
        cells.append(cell)
        verify += f"\n\ndef {name}(got, world):\n{CHECKS[name].replace('10', str(big))}"
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb, verify


def write_lesson(root, names: list[str], big: int = 10) -> None:
    """Write the tiny lesson's source and checks, as the instructor edits them."""
    nb, verify = lesson(names, big)
    nbformat.write(nb, root / "solutions" / "tiny" / "tiny.ipynb")
    (root / "solutions" / "tiny" / "verify.py").write_text(verify)


def grades(root) -> dict[str, tuple[str, str, str]]:
    """student -> (status, score, max_score) of lesson tiny in grades.csv."""
    coursetools(root, "grades")
    with open(root / "grades.csv", newline="") as fh:
        return {r["student_id"]: (r["status"], r["score"], r["max_score"]) for r in csv.DictReader(fh)
                if r["assignment"] == "tiny"}


@pytest.fixture
def graded_class(tmp_path):
    """The tiny course with a two-cell lesson, released, and two students graded: ann right (42) and bob 12 (above 10,
    even)."""
    (tmp_path / "course").mkdir()
    root = make_tiny_course(tmp_path / "course")
    write_lesson(root, ["check", "check_big"])
    coursetools(root, "release", "--lessons", "tiny")
    for student, answer in (("ann", "answer = 42"), ("bob", "answer = 12")):
        submit(root, student, "tiny", answer)
    coursetools(root, "autograde", "--jobs", "2")
    assert gradebook_scores_of(root) == {"ann": 3.0, "bob": 1.0}
    return root


def gradebook_scores_of(root) -> dict[str, float]:
    """student -> score of lesson tiny in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return {s.student.id: s.score for s in gradebook.find_assignment("tiny").submissions}


def test_the_three_worked_changes_regrade_the_class_with_the_new_points(graded_class):
    root = graded_class
    # 1. A stricter threshold: check_big wants more than 41, in the visible check and the grader's alike.
    write_lesson(root, ["check", "check_big"], big=41)
    coursetools(root, "release", "--lessons", "tiny")
    out = coursetools(root, "autograde", "--jobs", "2").stdout
    assert "2 to grade" in out and "the lesson changed since it was graded" in out, out
    assert gradebook_scores_of(root) == {"ann": 3.0, "bob": 0.0}

    # 2. New graded questions, one on the old answer and one with an answer cell of its own: plain release refuses,
    # naming the one command; REGRADE=1 regrades everyone, whose copies get both (the new answer as its stub).
    write_lesson(root, ["check", "check_big", "check_even", "check_two"], big=41)
    refused = coursetools(root, "release", "--lessons", "tiny", check=False)
    assert refused.returncode == 1 and "make release LESSON=tiny REGRADE=1" in refused.stderr, refused.stderr
    done = coursetools(root, "release", "--lessons", "tiny", "--regrade", "--jobs", "2")
    assert "kept in archive/gradebook/tiny-" in done.stdout and "graded 2, failed 0" in done.stdout, done.stdout
    assert gradebook_scores_of(root) == {"ann": 4.0, "bob": 1.0}  # check_two scores 0: its answer is the stub

    # 3. A removed question: check_big goes; students' copies still hold it, and nobody gets a 0 for it.
    write_lesson(root, ["check", "check_even", "check_two"], big=41)
    done = coursetools(root, "release", "--lessons", "tiny", "--regrade", "--jobs", "2")
    assert "graded 2, failed 0" in done.stdout, done.stdout + done.stderr
    assert gradebook_scores_of(root) == {"ann": 3.0, "bob": 1.0}
    assert grades(root) == {"ann": ("graded", "3.0", "4.0"), "bob": ("graded", "1.0", "4.0")}
    assert len(list((root / "archive" / "gradebook").glob("tiny-*.json"))) == 2, "each old version's rows kept"

    # A regrade that then fails: the gradebook still holds bob's old score, which no grade file may show as current.
    save_record(root, load_record(root) | {"bob/tiny": f"{FAILED}kernel died"})
    assert grades(root) == {"ann": ("graded", "3.0", "4.0"), "bob": ("grading failed (kernel died)", "", "4.0")}
    coursetools(root, "roster", "--csv", str(canvas_roster(root / "export.csv")))
    out = coursetools(root, "grades", "--format", "canvas").stdout
    assert "left blank, since their grading failed" in out and "bob/tiny" in out and "tiny 4 points" in out, out


def test_why_a_graded_submission_is_graded_again(tmp_path):
    """The reasons autograde gives, from the submission, the record of what was graded and the gradebook."""
    root = tmp_path
    submitted = root / "submitted" / "ann" / "tiny" / "tiny.ipynb"
    graded = root / "autograded" / "ann" / "tiny" / "tiny.ipynb"
    source = root / "solutions" / "tiny" / "tiny.ipynb"
    for path in (source, submitted, graded):
        path.parent.mkdir(parents=True)
        path.write_text("{}")
    os.utime(source, (1, 1))  # the lesson is older than its graded copy
    sub = Submission("ann", "tiny", submitted)
    record = {"ann/tiny": sha256(submitted)}
    assert why_grade(root, sub, record, False, {"ann/tiny"}) is None
    assert why_grade(root, sub, record, False, set()) == "not in the gradebook (the lesson was released again)"
    assert why_grade(root, sub, {"ann/tiny": "failed: kernel died"}, False, {"ann/tiny"}) == "its last grading failed"
    assert failures(root) == {}
    source.touch()
    assert why_grade(root, sub, record, False, {"ann/tiny"}) == "the lesson changed since it was graded"
    assert why_grade(root, sub, record, True, {"ann/tiny"}) == "FORCE"

