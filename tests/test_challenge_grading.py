"""Lesson 3 through the instructor's real cycle: nbgrader autogrades the challenge, the grader scores each recommender on
its hidden world outside the student's kernel, and `make leaderboard` ranks the submissions by what the grader measured.

Seven submissions, in a temporary copy of the course: three notebooks that answer only the challenge, of different
strength (EASE^R on play counts, item-kNN, and the most played tracks that each user has not heard), three cheats built
on the last (one reads its callers' frames and gc for the held-out listens, one searches seeds of the data generator
for the hidden world, one prints every cell's source and fakes report lines), and the blank notebook. Each grades in
seconds, because the gaps they leave blank fail at once; that the whole solution scores full marks is proven on its
own execution in test_lesson_notebooks.py.
"""

from __future__ import annotations

import csv
import html
import json
import re

import nbformat
import numpy as np
import pytest
from nbgrader.api import Gradebook

from conftest import ROOT
from coursetools.course_secrets import load_secret
from coursetools.trusted import FIGURES
from lesson3_cases import (
    CHALLENGE_CHECKS, EASE_ON_PLAYS, ITEM_KNN, LESSON, POPULAR_MINUS_HEARD, PRINTS_AND_FAKES, READS_THE_CALLERS,
    LEAKS_THE_TRAINING_LISTENS, SEARCHES_FOR_THE_SEED, WRITES_LATE,
)
from notebook_tools import copy_course, coursetools, grade_id, student_path

CHEATS = {"reads-callers": READS_THE_CALLERS, "searches-seeds": SEARCHES_FOR_THE_SEED, "prints-and-fakes": PRINTS_AND_FAKES,
          "writes-late": WRITES_LATE, "leaks-listens": LEAKS_THE_TRAINING_LISTENS}


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
        **{name: only_the_challenge(answer) for name, answer in CHEATS.items()},
        "blank": nbformat.read(student_path(LESSON), as_version=4),
    }
    for student, nb in submissions.items():
        folder = root / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{LESSON}.ipynb")
    summary = coursetools(root, "autograde", "--assignment", LESSON).stdout
    coursetools(root, "leaderboard")
    coursetools(root, "feedback")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {student: {g.name: g.score for g in gb.find_submission_notebook(LESSON, LESSON, student).grades}
                  for student in submissions}
    with open(root / "leaderboard.csv", newline="") as fh:
        board = list(csv.DictReader(fh))
    return root, scores, board, summary


def test_challenge_points_follow_the_hidden_thresholds(graded):
    _, scores, _, _ = graded
    assert [scores["strong"][check] for check in CHALLENGE_CHECKS] == [1, 1, 1, 1]
    assert [scores["weak"][check] for check in CHALLENGE_CHECKS] == [1, 1, 0, 0], "popularity reaches only the first threshold"
    assert scores["medium"]["test_gap7_contract"] == scores["medium"]["test_gap7_popularity"] == 1
    assert sum(scores["blank"].values()) == 0
    assert sum(scores["strong"].values()) == 4, "only the challenge was answered"


@pytest.mark.parametrize("cheat", CHEATS)
def test_a_cheat_earns_no_more_than_the_honest_answer_it_builds_on(graded, cheat):
    root, scores, board, _ = graded
    assert scores["weak"]["test_gap7_contract"] == 1, "the honest baseline beside the cheats must earn its points"
    if cheat != "leaks-listens":  # whose error messages in the grader's run cost it the contract's point
        assert scores[cheat]["test_gap7_contract"] == 1, "the cheat broke the contract: it did not run as meant"
    assert all(scores[cheat][check] <= scores["weak"][check] for check in CHALLENGE_CHECKS), scores[cheat]
    row = {r["student"]: r for r in board}
    mine = row[cheat]["hidden Recall@20"]
    assert not mine or float(mine) <= float(row["weak"]["hidden Recall@20"]) + 1e-4, row[cheat]
    if cheat in ("reads-callers", "searches-seeds"):  # on this world, whose test listens the notebook holds, it works
        autograded = (root / "autograded" / cheat / LESSON / f"{LESSON}.ipynb").read_text()
        assert re.search(r"FOUND \d{4,} held-out listens", autograded), "the cheat did not reach this world's test listens"


def test_leaderboard_ranks_by_what_the_grader_measured(graded):
    root, _, board, _ = graded
    honest = [row["student"] for row in board if row["student"] not in CHEATS]
    assert honest == ["strong", "medium", "weak", "blank"], "the cheats changed the honest submissions' order"
    ranks = {row["student"]: row["rank"] for row in board}
    assert ranks["strong"] == "1" and ranks["medium"] == "2" and ranks["blank"] == ""
    assert all(not ranks[cheat] or int(ranks[cheat]) >= int(ranks["weak"]) for cheat in CHEATS), ranks
    assert "no hidden score" in {r["student"]: r for r in board}["blank"]["note"]
    recalls = [float(row["hidden Recall@20"]) for row in board[:3]]
    assert recalls == sorted(recalls, reverse=True)
    for row in [r for r in board if r["rank"]]:  # the grader's own figures, not what a notebook printed (0.9999)
        figures = json.loads((root / FIGURES / LESSON / f"{row['student']}.json").read_text())
        assert float(row["hidden Recall@20"]) == figures["hidden Recall@20"] < figures["ceiling Recall@20"]
        assert not figures["flag"] and not row["note"]
    page = (root / "leaderboard.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and all(html.escape(row["student"]) in page for row in board)


def test_nothing_of_the_hidden_world_reaches_a_student(graded):
    root, _, _, _ = graded
    seed = str(load_secret(root, LESSON)["seed"])
    verify = (root / "solutions" / LESSON / "verify.py").read_text().splitlines()
    checks = [line.strip() for line in verify if line.strip().startswith("assert ")]
    for student in ["strong", *CHEATS]:
        autograded = (root / "autograded" / student / LESSON / f"{LESSON}.ipynb").read_text()
        assert seed not in autograded and "score_challenge(fit_recommender, seed=5417" not in autograded
        feedback = root / "feedback" / student / LESSON
        assert sorted(p.name for p in feedback.iterdir()) == [f"{LESSON}.html"], "only the page goes back"
        page = (feedback / f"{LESSON}.html").read_text()
        assert seed not in page and not any(html.escape(line) in page for line in checks)
    printed = (root / "feedback" / "prints-and-fakes" / LESSON / f"{LESSON}.html").read_text()
    assert "SOURCE&gt;" in printed or "SOURCE>" in printed, "the hook printed nothing: the cheat did not run"
    leaked = (root / "autograded" / "leaks-listens" / LESSON / f"{LESSON}.ipynb").read_text()
    assert leaked.count("LEAK>") >= 3 and len(leaked) > 300_000, "the cheat printed nothing: it did not run"
    assert not re.search(r"HIDDEN-LEAK>[A-Za-z0-9+/=]{20}", leaked), \
        "a cell ran after the grader's run on the hidden world, and printed its listens"
    page = (root / "feedback" / "leaks-listens" / LESSON / f"{LESSON}.html").read_text()
    blobs = re.findall(r"LEAK(?:&gt;|>)([A-Za-z0-9+/=]*)", page)
    honest = (root / "feedback" / "weak" / LESSON / f"{LESSON}.html").read_text()
    assert max(map(len, blobs), default=0) < 400 and len(page) < len(honest) + 20_000, \
        "what the kernel printed reached the feedback page (the hidden training listens, here), not only messages"


def test_makefile_has_a_leaderboard_target():
    import subprocess

    dry = subprocess.run(["make", "-n", "leaderboard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-m coursetools leaderboard" in dry


def test_a_score_above_the_true_preferences_is_flagged_in_the_summary_and_on_the_leaderboard(tmp_path, capsys):
    from coursetools.autograde import flags
    from coursetools.leaderboard import leaderboard
    from coursetools.submissions import Submission
    from coursetools.trusted import CHECKS, Exported, lesson_checks, world_for
    from export_cases import popular_lists
    from helpers.challenge import HIDDEN
    from lesson3_cases import KNOWN_WORLD

    checks = lesson_checks(ROOT / "solutions" / LESSON / CHECKS)
    w = world_for(checks, KNOWN_WORLD)
    h = w.hidden
    popular = popular_lists(np.zeros((h.data.n_users, 20), dtype=int), h)
    leaked = np.array([[*h.test[u].indices[:20], *(t for t in row if t not in h.test[u].indices)][:20]
                       for u, row in enumerate(popular)])  # each user's held-out listens first: only a leak gives this
    this = popular_lists(np.zeros((1, 20), dtype=int), w)
    figures = checks.test_gap7_contract(Exported({"this": this}, runs={HIDDEN: {"lists": leaked, "seconds": 1.0, "error": ""}}), w)
    assert figures["hidden Recall@20"] > figures["ceiling Recall@20"] and figures["flag"].startswith("above the ceiling")
    honest = checks.test_gap7_contract(Exported({"this": this}, runs={HIDDEN: {"lists": popular, "seconds": 1.0, "error": ""}}), w)
    assert not honest["flag"], honest
    for student, measured in (("leak", figures), ("honest", honest)):
        (tmp_path / FIGURES / LESSON).mkdir(parents=True, exist_ok=True)
        (tmp_path / FIGURES / LESSON / f"{student}.json").write_text(json.dumps(measured))
        (tmp_path / "autograded" / student / LESSON).mkdir(parents=True)
        (tmp_path / "autograded" / student / LESSON / f"{LESSON}.ipynb").write_text("{}")
    leaderboard(tmp_path)
    with open(tmp_path / "leaderboard.csv", newline="") as fh:
        notes = {row["student"]: row["note"] for row in csv.DictReader(fh)}
    assert notes["leak"].startswith("above the ceiling") and notes["honest"] == ""
    assert "look at them" in capsys.readouterr().out
    subs = [Submission(student, LESSON, tmp_path / "unused.ipynb") for student in ("leak", "honest")]
    assert [(sub.student, flag[:17]) for sub, flag in flags(tmp_path, subs)] == [("leak", "above the ceiling")]
