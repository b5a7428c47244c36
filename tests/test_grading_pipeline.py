"""The instructor's nbgrader cycle (release, autograde, feedback, grades) on realistic submissions.

Everything runs with the real nbgrader and the course's nbgrader_config.py, in a
temporary copy of the course, so the repository and its gradebook are untouched.
Real autogrades are kept for what only nbgrader shows: the right and the blank
notebook, tampered and deleted checks, a runaway cell, a shadowing `helpers`, a
raising first cell, a hidden check's message, and the CSV. What each wrong
answer loses is proven more cheaply in test_lesson1_wrong_answers.py.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ROOT
from coursetools.trusted import HIDDEN_MARK
from lesson1_cases import LESSON, WRONG_ANSWERS, submission
from notebook_tools import copy_course, coursetools, grade_id, is_solution, region_lines, source_path

GRADED = ["test_gap1_genre", "test_gap2_genre_matrix", "test_gap3_cosine", "test_top_k",
          "test_gap4_user_vocabulary", "test_gap5_item_vocabulary", "test_gap6_rating_model",
          "test_gap7_ranking_task", "test_gap8_training_rmse"]
HIDDEN_CHECK_CASE = "overfitted-with-typed-in-rmse"
SHADOWED = "deleted-test-copied-helpers"  # a right notebook without a check cell, beside a helpers package of its own
TRUSTED = HIDDEN_MARK  # what the grader's own check, outside the kernel, says when it fails a cell
# Red-team submissions that pass checks inside the kernel without answering; the grader's own checks stop them.
PATCHED_CHECKS = '''
isinstance = lambda *args, **kwargs: True
np.allclose = np.isclose = lambda *args, **kwargs: True
pd.testing.assert_frame_equal = pd.testing.assert_series_equal = lambda *args, **kwargs: None


class Anything:
    """Equal to everything, true, empty; every attribute, call or item of it is itself."""
    __bool__ = lambda self: True
    __eq__ = __le__ = __ge__ = lambda self, other: True
    __ne__ = __lt__ = __gt__ = lambda self, other: False
    __getitem__ = lambda self, key: self

    def __getattr__(self, name):
        if name.startswith("__"):  # numpy asks for __array__ and the like: say there is none
            raise AttributeError(name)
        return self

    __call__ = lambda self, *args, **kwargs: self
    __len__ = __hash__ = lambda self: 0
    __iter__ = lambda self: iter([])
'''
BLANKED_CELLS = '\nget_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])'
# Hooks that print the source of every cell the kernel runs (hidden parts included) into the outputs, and an input
# transformer that turns every assert into one that passes; with the wrong answer "never-trained" (no model.fit).
HOOKED = """
import re as _re
get_ipython().events.register("pre_run_cell", lambda info: print(f"SOURCE>{info.raw_cell}<SOURCE"))
get_ipython().input_transformers_cleanup.append(
    lambda lines: [_re.sub(r"^(\\s*)assert ", r"\\1assert True or ", line) for line in lines])"""
HOOKED_CASE = "never-trained"
GAPS = [grade_id(c) for c in nbformat.read(source_path(LESSON), as_version=4).cells if is_solution(c)]
ANYTHING = {gap: f"{name} = Anything()" for gap, name in [
    ("gap1_extract_genres", "genre"), ("gap2_genre_columns", "item_genre_mat"), ("gap3_cosine", "corr_mat"),
    ("gap4_user_vocabulary", "user_vocabulary"), ("gap5_item_vocabulary", "item_vocabulary"), ("gap8_fit", "history")]}


def course(root: Path, step: str, *args: str) -> subprocess.CompletedProcess:
    """Run one instructor step (python -m coursetools) on the course at `root`; it must succeed."""
    return coursetools(root, step, *args)


def special_submissions() -> dict[str, tuple[nbformat.NotebookNode, set[str] | None]]:
    """Submissions beyond wrong answers: name -> (notebook, graded cells that must fail; None = all)."""
    subs = {
        "solution": (submission(), set()),
        "blank": (nbformat.read(ROOT / "notebooks" / LESSON / f"{LESSON}.ipynb", as_version=4), None),
        # genre is never assigned; later cells that need it fail ungraded, the rest is graded as usual
        # (it waits rather than spins, so that the 40 s it runs for leave the other tests' CPU alone)
        "infinite-loop": (submission({"gap1_extract_genres": "import time\nwhile True:\n    time.sleep(0.1)"}),
                          {"test_gap1_genre"}),
    }
    edited = submission({"gap3_cosine": "corr_mat = item_genre_mat.to_numpy() @ item_genre_mat.to_numpy().T"})
    next(c for c in edited.cells if grade_id(c) == "test_gap3_cosine").source = "pass  # all good"
    subs["edited-test"] = (edited, {"test_gap3_cosine"})
    deleted = submission()  # also handed in with a copied helpers package that must not be used (see graded_course)
    deleted.cells = [c for c in deleted.cells if grade_id(c) != "test_gap1_genre"]
    subs[SHADOWED] = (deleted, set())
    raises = submission()
    next(c for c in raises.cells if c.cell_type == "code").source = 'raise RuntimeError("broken on purpose")'
    subs["raises-first"] = (raises, None)
    for name, first, answers in (("patched-checks", PATCHED_CHECKS, ANYTHING), ("blanked-cells", BLANKED_CELLS, {})):
        cheat = submission({gap: answers.get(gap, "pass") for gap in GAPS})
        next(c for c in cheat.cells if c.cell_type == "code").source += first
        subs[name] = (cheat, None)
    answers, edits, fails = WRONG_ANSWERS[HOOKED_CASE]
    hooked = submission(answers, edits)
    next(c for c in hooked.cells if c.cell_type == "code").source += HOOKED
    subs["hooked"] = (hooked, fails)  # no more than the same wrong answer, submitted plainly, earns
    return subs


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder`."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"))
    with open(root / "nbgrader_config.py", "a") as config:  # the runaway cell is stopped after 40 s, not 60; the
        config.write("\nc.Execute.timeout = c.ExecutePreprocessor.timeout = 40\n")  # slowest takes 5-10 s, 15 when busy
    course(root, "release")
    answers, edits, fails = WRONG_ANSWERS[HIDDEN_CHECK_CASE]  # its feedback shows a hidden check's message
    expected = {HIDDEN_CHECK_CASE: (submission(answers, edits), fails), **special_submissions()}
    for student, (nb, _) in expected.items():
        folder = root / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{LESSON}.ipynb")
    shadow = root / "submitted" / SHADOWED / LESSON / "helpers"
    shadow.mkdir()
    (shadow / "__init__.py").write_text('raise ImportError("a copied helpers package must not be used")\n')
    submitted = digest(root / "submitted")
    start = time.perf_counter()
    course(root, "autograde", "--jobs", "2")
    seconds = time.perf_counter() - start
    print(f"\nautograded {len(expected)} submissions in {seconds:.0f} s ({seconds / len(expected):.1f} s each)")
    course(root, "feedback")
    course(root, "grades")
    return root, expected, submitted


def page_text(page: Path) -> str:
    """A feedback page's text as a student reads it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def scores(root: Path, student: str) -> dict[str, tuple[float, float]]:
    """{grade cell: (score, max score)} for one student's lesson 1 submission."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(LESSON, LESSON, student)
        return {g.name: (g.score, g.max_score) for g in nb.grades}


def test_every_submission_has_a_grade_row(graded_course):
    root, expected, _ = graded_course
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        graded = {s.student.id for s in gb.find_assignment(LESSON).submissions}
    assert graded == set(expected)


@pytest.mark.parametrize("student", ["solution", SHADOWED])
def test_correct_work_gets_full_marks(graded_course, student):
    root, _, _ = graded_course
    got = scores(root, student)
    assert sorted(got) == sorted(GRADED)
    assert {cell: s for cell, (s, m) in got.items() if s != m} == {}


@pytest.mark.parametrize("student", ["blank", "raises-first", "patched-checks", "blanked-cells"])
def test_unanswered_or_broken_work_gets_zero_everywhere(graded_course, student):
    root, _, _ = graded_course
    got = scores(root, student)
    assert sorted(got) == sorted(GRADED)
    assert {cell: s for cell, (s, _) in got.items() if s != 0} == {}


@pytest.mark.parametrize("student", [HIDDEN_CHECK_CASE, "edited-test", "infinite-loop", "hooked"])
def test_wrong_work_loses_exactly_the_points_it_should(graded_course, student):
    root, expected, _ = graded_course
    must_fail = expected[student][1]
    got = scores(root, student)
    lost = {cell for cell, (s, m) in got.items() if s < m}
    assert lost == must_fail
    assert all(got[cell][0] == 0 for cell in must_fail)


@pytest.mark.parametrize("student, caught", [("patched-checks", {"test_gap1_genre", "test_gap3_cosine"}),
                                             ("blanked-cells", set(GRADED))])
def test_cheats_that_pass_in_the_kernel_fail_the_graders_own_check(graded_course, student, caught):
    root, _, _ = graded_course
    nb = nbformat.read(root / "autograded" / student / LESSON / f"{LESSON}.ipynb", as_version=4)
    stopped = {grade_id(c) for c in nb.cells if any(TRUSTED in o.get("evalue", "") for o in c.get("outputs", []))}
    assert stopped == caught, f"cells that passed in the kernel and only the grader's own check failed: {stopped}"


def test_runaway_cell_was_interrupted(graded_course):
    root, _, _ = graded_course
    nb = nbformat.read(root / "autograded" / "infinite-loop" / LESSON / f"{LESSON}.ipynb", as_version=4)
    gap = next(c for c in nb.cells if grade_id(c) == "gap1_extract_genres")
    assert "CellTimeoutError" in [o.get("ename") for o in gap.outputs], gap.outputs


def test_a_copied_helpers_package_is_not_used_for_grading(graded_course):
    root, _, _ = graded_course
    assert not (root / "autograded" / SHADOWED / LESSON / "helpers").exists()


def test_no_hidden_check_enters_the_kernel_and_feedback_shows_none(graded_course):
    root, expected, _ = graded_course
    source = nbformat.read(source_path(LESSON), as_version=4)
    hidden = {line for cell in source.cells for line in region_lines(cell, "HIDDEN TESTS")}
    assert hidden and all(line.startswith(("helpers.export(", ")")) or "=" in line for line in hidden)
    autograded = (root / "autograded" / "solution" / LESSON / f"{LESSON}.ipynb").read_text()
    assert "recomputed" not in autograded and 'helpers.export(\\"test_gap8_training_rmse\\"' in autograded, \
        "the autograded notebook holds the visible checks and the exports, no hidden check"
    pages = list((root / "feedback").glob(f"*/{LESSON}/{LESSON}.html"))
    assert len(pages) == len(expected)
    for page in pages:
        assert sorted(p.name for p in page.parent.iterdir()) == [page.name], "only the page goes back to a student"
        shown = page_text(page)
        for text in ("HIDDEN TESTS", "helpers.export(", "recomputed", "expected_sets", "unit @ unit.T"):
            assert text not in shown, f"{page.parent.parent.name}'s feedback shows hidden test text {text!r}"
    overfit = (root / "feedback" / "overfitted-with-typed-in-rmse" / LESSON / f"{LESSON}.html").read_text()
    assert "the model&#39;s own test RMSE" in overfit or "the model's own test RMSE" in overfit
    assert "(from a hidden check)" in overfit, "a hidden check's message should say where it comes from"
    visible = (root / "feedback" / "edited-test" / LESSON / f"{LESSON}.html").read_text()
    assert "the diagonal should be 1" in visible and "(from a hidden check)" not in visible


def test_hooks_that_print_every_cell_show_the_student_nothing_but_their_own_notebook_and_the_exports(graded_course):
    root, expected, _ = graded_course
    nb = nbformat.read(root / "autograded" / "hooked" / LESSON / f"{LESSON}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream")
    shown = {line.strip() for part in re.findall(r"SOURCE>(.*?)<SOURCE", printed, re.S) for line in part.splitlines()}
    theirs = {line.strip() for c in expected["hooked"][0].cells for line in c.source.splitlines()}
    source = nbformat.read(source_path(LESSON), as_version=4)
    exports = {line for cell in source.cells for line in region_lines(cell, "HIDDEN TESTS")} | {
        "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"}
    assert len(shown) > 100, "the hook printed little: the cheat did not run"
    assert shown - theirs <= exports, f"the kernel saw more than the notebook and its exports: {shown - theirs - exports}"
    assert exports & shown, "the hook did not print the hidden parts: the test shows nothing"
    assert not [line for line in exports if "assert" in line or "print(" in line], "a hidden check in the kernel"
    page = page_text(root / "feedback" / "hooked" / LESSON / f"{LESSON}.html")
    assert "SOURCE>" in page and not [line for line in exports if line in page], \
        "the feedback page shows a line of a hidden part that the hook printed"


def test_grades_csv_has_one_row_per_student_with_the_right_totals(graded_course):
    root, expected, _ = graded_course
    with open(root / "grades.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["assignment"] == LESSON]
    assert sorted(r["student_id"] for r in rows) == sorted(expected)
    for row in rows:
        got = scores(root, row["student_id"])
        assert float(row["score"]) == sum(s for s, _ in got.values())
        assert float(row["max_score"]) == sum(m for _, m in got.values()) == 18
    assert {r["student_id"]: float(r["score"]) for r in rows}["solution"] == 18


def test_rerunning_every_step_loses_no_grade_and_no_submission(graded_course):
    root, _, submitted = graded_course
    before = {s: scores(root, s) for s in ("solution", HIDDEN_CHECK_CASE, "blank")}
    course(root, "release")
    course(root, "autograde", "--jobs", "2")
    course(root, "feedback")
    course(root, "grades")
    assert (root / "gradebook.db").exists()
    assert {s: scores(root, s) for s in before} == before
    assert digest(root / "submitted") == submitted


def test_makefile_targets_run_these_steps():
    for target, step in [("release", "release"), ("autograde", "autograde"), ("feedback", "feedback"),
                         ("grades", "grades")]:
        dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        assert f"-m coursetools {step}" in dry
