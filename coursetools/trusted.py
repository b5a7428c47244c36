"""Grades decided outside the student's kernel: after nbgrader has run a submission, each graded cell that passed
there is checked again here, in the grading process, which runs no student code, from what the cell exported
(helpers.export) and the lesson's own checks in solutions/<lesson>/verify.py. A cell whose export is missing,
malformed or wrong gets an error output, so nbgrader scores it 0."""

from __future__ import annotations

import importlib.util
import zipfile
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from helpers.exports import FOLDER

CHECKS = "verify.py"  # in each lesson's source folder: world() and one function per graded cell, named by its grade_id


class Exported(dict):
    """What one cell exported: name -> numpy array; a missing name is an AssertionError that says which."""

    def __missing__(self, name: str) -> np.ndarray:
        raise AssertionError(f"the cell exported no {name!r}")


def load(path: Path) -> Exported:
    """The arrays in one export file, read without unpickling anything (an object array is malformed)."""
    with np.load(path, allow_pickle=False) as data:
        return Exported({name: data[name] for name in data.files})


@cache
def lesson_checks(path: Path) -> ModuleType:
    """The lesson's verify.py, imported from its path."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: every lesson needs the grader's own checks of its graded cells")
    spec = importlib.util.spec_from_file_location(f"verify_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verdict(checks: ModuleType, grade_id: str, folder: Path) -> str | None:
    """Why the trusted check of cell `grade_id` fails on what it exported into `folder`, or None if it passes."""
    check = getattr(checks, grade_id, None)
    if check is None:
        return f"the grader has no check of its own for {grade_id} (add one to {CHECKS})"
    path = folder / f"{grade_id}.npz"
    if not path.is_file() or path.is_symlink():
        return "this cell exported nothing for the grader: it did not run to its end"
    try:
        check(load(path), world_of(checks))
    except AssertionError as error:
        return str(error) or "the exported answer is wrong"
    except (ValueError, KeyError, IndexError, TypeError, OSError, zipfile.BadZipFile) as error:
        return f"what this cell exported is malformed ({type(error).__name__})"
    return None


@cache
def world_of(checks: ModuleType) -> object:
    """The lesson's data, recomputed once per grading process by its world()."""
    return checks.world()


def failed(message: str) -> NotebookNode:
    """The error output that makes nbgrader score a cell 0, with the reason."""
    text = f"the grader's own check, outside your notebook, failed: {message}"
    return NotebookNode(output_type="error", ename="AssertionError", evalue=text, traceback=[f"AssertionError: {text}"])


def is_test_cell(cell: NotebookNode) -> bool:
    """Whether nbgrader scores this cell from its outputs (a graded cell that is not an answer)."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class VerifyExports(NbGraderPreprocessor):
    """After Execute, before SaveAutoGrades: every test cell that passed in the student's kernel must also pass the
    lesson's trusted check, or it gets an error output saying why."""

    source_root = Unicode("", config=True, help="the folder of the lessons' sources, each with its verify.py")

    def preprocess(self, nb, resources):
        folder = Path(resources["metadata"]["path"]) / FOLDER
        checks = lesson_checks(Path(self.source_root) / resources["nbgrader"]["assignment"] / CHECKS)
        for cell in nb.cells:
            if is_test_cell(cell) and not any(o.output_type == "error" for o in cell.get("outputs", [])):
                reason = verdict(checks, cell.metadata.nbgrader["grade_id"], folder)
                if reason:
                    cell.outputs.append(failed(reason))
        return nb, resources
