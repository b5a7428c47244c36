"""Each plausible wrong answer to lesson 1 loses exactly the points it should, as nbgrader scores them, even when an
input transformer turns every assert of the notebook into one that passes: the grader's own checks, outside the
kernel, take them all the same.

The instructor's notebook (with its exports, as the autograder runs it, and every assert passing) runs once in a
kernel that stays up. Each case then re-runs only its gap, with the wrong answer, and every cell after it; a graded
cell loses its points if nbgrader's own `determine_grade` says so or the lesson's verify.py rejects what it
exported. The cases run from the last gap to the first, so each re-run also puts back the right answers of the case
before.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import determine_grade

from conftest import ROOT
from coursetools.trusted import CHECKS, lesson_checks, verdict
from helpers.exports import ELSEWHERE
from lesson1_cases import LESSON, RUN_FIRST, WRONG_ANSWERS
from notebook_tools import LiveNotebook, error_text, grade_id, is_graded, passing_every_assert, source_path, without_markers

SOURCE = nbformat.read(source_path(LESSON), as_version=4)
for _cell in SOURCE.cells:
    _cell.source = passing_every_assert(without_markers(_cell.source))
CHECKED = lesson_checks(ROOT / "solutions" / LESSON / CHECKS)


def position(key: str) -> int:
    """Index of the cell with grade_id `key`, or else of the provided cell whose code starts with `key`."""
    by_id = [i for i, c in enumerate(SOURCE.cells) if grade_id(c) == key]
    return by_id[0] if by_id else next(i for i, c in enumerate(SOURCE.cells)
                                       if c.source.replace("# NBVAL_CHECK_OUTPUT\n", "").startswith(key))


def changes(case: str) -> dict[int, str]:
    """Cell index -> the code the case puts there."""
    answers, edits, _ = WRONG_ANSWERS[case]
    return {position(key): code for key, code in {**answers, **edits}.items()}


def start(case: str) -> int:
    """Where the case's re-run begins: its first changed cell, or the cell that must run before a gap."""
    answers = WRONG_ANSWERS[case][0]
    return min([*changes(case), *(position(RUN_FIRST[g]) for g in answers if g in RUN_FIRST)])


def lost(cells: dict[int, nbformat.NotebookNode], exports: Path) -> dict[str, str]:
    """grade_id -> why each graded cell scores less than its points: in the kernel, or by the grader's own check."""
    why = {}
    for cell in cells.values():
        if is_graded(cell) and cell.cell_type == "code" and grade_id(cell).startswith("test_"):
            kernel = determine_grade(cell)[0] < determine_grade(cell)[1]
            reason = (error_text(cell) or "stderr") if kernel else verdict(CHECKED, grade_id(cell), exports)
            if reason:
                why[grade_id(cell)] = reason
    return why


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def live(exports):
    with pytest.MonkeyPatch.context() as env:  # the kernel keeps the environment it started with
        env.setenv("NBGRADER_EXECUTION", "autograde")
        env.setenv(ELSEWHERE, str(exports))
        notebook = LiveNotebook(SOURCE, source_path(LESSON).parent).__enter__()
    yield notebook
    notebook.__exit__(None, None, None)


def test_the_solution_scores_full_marks(live, exports):
    assert lost(dict(enumerate(live.nb.cells)), exports) == {}


@pytest.mark.parametrize("case", sorted(WRONG_ANSWERS, key=start, reverse=True))
def test_wrong_answer_loses_exactly_its_points(live, exports, case):
    ran = live.rerun(changes(case), start(case))
    must_fail = WRONG_ANSWERS[case][2]
    assert set(lost(ran, exports)) == must_fail, lost(ran, exports)
