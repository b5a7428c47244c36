"""Each plausible wrong answer to lesson 1 loses exactly the points it should, as nbgrader scores them.

The instructor's notebook (hidden tests included, as the autograder runs it)
runs once in a kernel that stays up. Each case then re-runs only its gap, with
the wrong answer, and every cell after it; nbgrader's own `determine_grade`
scores the graded cells. The cases run from the last gap to the first, so each
re-run also puts back the right answers of the case before.
"""

from __future__ import annotations

import nbformat
import pytest
from nbgrader.utils import determine_grade

from lesson1_cases import LESSON, RUN_FIRST, WRONG_ANSWERS
from notebook_tools import LiveNotebook, error_text, grade_id, is_graded, source_path, without_markers

SOURCE = nbformat.read(source_path(LESSON), as_version=4)
for _cell in SOURCE.cells:
    _cell.source = without_markers(_cell.source)


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


def lost(cells: dict[int, nbformat.NotebookNode]) -> dict[str, str]:
    """grade_id -> the error of every graded cell that scores less than its points."""
    return {grade_id(c): error_text(c) or "stderr" for c in cells.values()
            if is_graded(c) and c.cell_type == "code" and determine_grade(c)[0] < determine_grade(c)[1]}


@pytest.fixture(scope="module")
def live():
    with LiveNotebook(SOURCE, source_path(LESSON).parent) as notebook:
        yield notebook


def test_the_solution_scores_full_marks(live):
    assert lost(dict(enumerate(live.nb.cells))) == {}


@pytest.mark.parametrize("case", sorted(WRONG_ANSWERS, key=start, reverse=True))
def test_wrong_answer_loses_exactly_its_points(live, case):
    ran = live.rerun(changes(case), start(case))
    must_fail = WRONG_ANSWERS[case][2]
    assert set(lost(ran)) == must_fail, lost(ran)
