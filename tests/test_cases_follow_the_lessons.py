"""The wrong-answer cases name cells and code of the lessons: after an instructor changes a lesson (a cell renamed,
removed or rewritten, docs/changing-a-lesson.md), this file says, in a second and by name, which case is about a cell
that is no longer as it was, before the slow tests that run the cases fail less clearly."""

from __future__ import annotations

import nbformat
import pytest

from gap_message_cases import CASES
from notebook_tools import grade_id, source_path, without_markers


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_wrong_answer_case_is_about_a_cell_the_lesson_has(case):
    lesson, gap, right, _, check, _ = CASES[case]
    cells = {grade_id(c): c for c in nbformat.read(source_path(lesson), as_version=4).cells if grade_id(c)}
    where = f"the case {case!r} in tests/gap_message_cases.py"
    assert gap in cells, f"{lesson} has no cell {gap!r}: {where} is about a cell that was renamed or removed; change " \
                         "or remove the case"
    assert check in cells, f"{lesson} has no graded cell {check!r}: {where} names a check that was renamed or " \
                           "removed; change or remove the case"
    assert right in without_markers(cells[gap].source), f"{lesson}'s {gap} no longer holds {right!r}: {where} " \
                                                        "replaces code the solution no longer has; change the case"
