"""A lesson changed after students handed it in (docs/changing-a-lesson.md): a stricter threshold, a new graded
question, a question removed.

nbgrader refuses to release a lesson that gained or lost graded cells once it has submissions ("Cannot add or remove
cells ... because there are submissions"), and its autograde then fails on every submission that still holds a removed
cell (a KeyError in OverwriteCells, which forgets the cell's grade_id but not that it is graded). Here,
`make release LESSON=... REGRADE=1` keeps the lesson's due date and a copy of its gradebook rows (manual grades and
comments included) in archive/gradebook/, removes the old version from the gradebook, releases the new one and
regrades every submission of it; ForgetRemovedCells lets autograde treat a removed cell as ungraded text."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import OverwriteCells

from coursetools.nbgrader_cli import gradebook_url


class ForgetRemovedCells(OverwriteCells):
    """nbgrader's OverwriteCells, except that a submitted cell whose grade_id the lesson no longer has (a question
    removed since the student fetched the lesson) loses all its nbgrader metadata, so that it is neither graded nor
    checked, instead of keeping a grade flag without an id."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if grade_id is not None and "grade_id" not in cell.metadata.get("nbgrader", {}):
            self.log.warning("Cell %r is no longer in the lesson: not graded", grade_id)
            del cell.metadata["nbgrader"]
        return cell, resources


    def add_missing_grade_cells(self, nb, resources):
        """nbgrader's, after putting back each answer cell that the submission lacks (a question added since the
        student fetched the lesson: its stub, after the cell before it in the lesson), without which nbgrader finds no
        place for the new question's test cell."""
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        graded = {cell.name for cell in source.grade_cells}
        names = [cell.name for cell in source.source_cells]
        for index, cell in enumerate(source.source_cells):
            present = {c.metadata.nbgrader["grade_id"] for c in nb.cells if "grade_id" in c.metadata.get("nbgrader", {})}
            if cell.name in present or cell.name in graded or cell.cell_type != "code":
                continue
            self.log.warning("Missing answer cell %s, new in the lesson: adding its stub", cell.name)
            before = [name for name in names[:index] if name in present]
            at = 0 if not before else 1 + next(i for i, c in enumerate(nb.cells)
                                               if c.metadata.get("nbgrader", {}).get("grade_id") == before[-1])
            nb.cells.insert(at, new_answer_cell(cell))
        return super().add_missing_grade_cells(nb, resources)


def new_answer_cell(source_cell) -> NotebookNode:
    """An answer cell of the lesson that a submission lacks, as the student would have fetched it (its stub)."""
    cell = nbformat.v4.new_code_cell(f"# (added at grading: this question is new in the lesson)\n{source_cell.source}")
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": source_cell.name, "locked": False, "schema_version": 3,
                                 "solution": True, "task": False}
    return cell


def gradebook_rows(lesson: str, gradebook) -> dict:
    """Everything the gradebook holds of `lesson`'s submissions: per student, its time and per cell its scores and
    comment, as JSON-ready values."""
    assignment = gradebook.find_assignment(lesson)
    rows = {}
    for submission in assignment.submissions:
        cells = {}
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                cells[grade.name] = {"auto_score": grade.auto_score, "manual_score": grade.manual_score,
                                     "extra_credit": grade.extra_credit, "max_score": grade.max_score}
            for comment in notebook.comments:
                cells.setdefault(comment.name, {})["comment"] = comment.manual_comment or comment.auto_comment
        rows[submission.student.id] = {"timestamp": str(submission.timestamp), "score": submission.score,
                                       "cells": cells}
    return {"lesson": lesson, "duedate": str(assignment.duedate) if assignment.duedate else None,
            "submissions": rows}


def forget_lesson(root: Path, lesson: str) -> tuple[object, Path | None]:
    """Remove `lesson` from the gradebook after saving its rows to archive/gradebook/<lesson>-<time>.json; its due
    date (to give the new version) and where the rows went (None if the gradebook did not have it)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(gradebook_url(root)) as gradebook:
        try:
            rows = gradebook_rows(lesson, gradebook)
        except MissingEntry:
            return None, None
        due = gradebook.find_assignment(lesson).duedate
        kept = root / "archive" / "gradebook" / f"{lesson}-{time.strftime('%Y%m%dT%H%M%S')}.json"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps(rows, indent=1) + "\n")
        gradebook.remove_assignment(lesson)
    return due, kept


def restore_due_date(root: Path, lesson: str, due) -> None:
    """Give the newly released `lesson` the due date its old version had."""
    from nbgrader.api import Gradebook

    if due is not None:
        with Gradebook(gradebook_url(root)) as gradebook:
            gradebook.update_or_create_assignment(lesson, duedate=due)
