"""Lesson 3 through the instructor's real cycle: nbgrader autogrades the challenge on its hidden world, and
`make leaderboard` ranks the submissions by the Recall@20 that the hidden check measured.

Four submissions, in a temporary copy of the course: three notebooks that answer only the challenge, of
different strength (EASE^R on play counts, item-kNN, and the most played tracks that each user has not heard),
and the blank notebook. Each grades in seconds, because the gaps they leave blank fail at once; that the whole
solution scores full marks is proven on its own execution in test_lesson_notebooks.py.
"""

from __future__ import annotations

import csv
import html

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ROOT
from lesson3_cases import CHALLENGE_CHECKS, EASE_ON_PLAYS, ITEM_KNN, LESSON, POPULAR_MINUS_HEARD
from notebook_tools import copy_course, coursetools, grade_id, student_path


def only_the_challenge(answer: str) -> nbformat.NotebookNode:
    """The blank student notebook with gap 7 answered and nothing else."""
    nb = nbformat.read(student_path(LESSON), as_version=4)
    next(c for c in nb.cells if grade_id(c) == "gap7_challenge").source = answer
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"))
    coursetools(root, "release")
    submissions = {
        "strong": only_the_challenge(EASE_ON_PLAYS),
        "medium": only_the_challenge(ITEM_KNN),
        "weak": only_the_challenge(POPULAR_MINUS_HEARD),
        "blank": nbformat.read(student_path(LESSON), as_version=4),
    }
    for student, nb in submissions.items():
        folder = root / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{LESSON}.ipynb")
    coursetools(root, "autograde", "--assignment", LESSON)
    coursetools(root, "leaderboard")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {student: {g.name: g.score for g in gb.find_submission_notebook(LESSON, LESSON, student).grades}
                  for student in submissions}
    with open(root / "leaderboard.csv", newline="") as fh:
        board = list(csv.DictReader(fh))
    return root, scores, board


def test_challenge_points_follow_the_hidden_thresholds(graded):
    _, scores, _ = graded
    assert [scores["strong"][check] for check in CHALLENGE_CHECKS] == [1, 1, 1, 1]
    assert [scores["weak"][check] for check in CHALLENGE_CHECKS] == [1, 1, 0, 0], "popularity reaches only the first threshold"
    assert scores["medium"]["test_gap7_contract"] == scores["medium"]["test_gap7_popularity"] == 1
    assert sum(scores["blank"].values()) == 0
    assert sum(scores["strong"].values()) == 4, "only the challenge was answered"


def test_leaderboard_ranks_by_the_hidden_recall(graded):
    root, _, board = graded
    assert [row["student"] for row in board] == ["strong", "medium", "weak", "blank"]
    assert [row["rank"] for row in board] == ["1", "2", "3", ""]
    recalls = [float(row["hidden Recall@20"]) for row in board[:3]]
    assert recalls == sorted(recalls, reverse=True) and recalls[0] > recalls[2]
    assert "no hidden score" in board[3]["note"]
    autograded = (root / "autograded" / "weak" / LESSON / f"{LESSON}.ipynb").read_text()
    assert f"hidden world: Recall@20 {float(board[2]['hidden Recall@20']):.4f}" in autograded
    page = (root / "leaderboard.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and all(html.escape(row["student"]) in page for row in board)


def test_makefile_has_a_leaderboard_target():
    import subprocess

    dry = subprocess.run(["make", "-n", "leaderboard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-m coursetools leaderboard" in dry
