"""A tiny course for the instructor's tests: two one-point lessons ("set `answer` to 42") with the real configuration."""

from __future__ import annotations

from pathlib import Path

import nbformat

from notebook_tools import copy_course

LESSONS = ("tiny", "tiny2")
# The grader's own check of the one graded cell, from what it exported (coursetools/trusted.py).
VERIFY = '''def world():
    return None


def check(got, world):
    answer = got["answer"]
    assert answer.shape == () and answer.dtype.kind in "iuf" and answer == 42, f"answer should be 42, got {answer}"
'''


def tiny_source(name: str) -> nbformat.NotebookNode:
    """A one-gap, one-point lesson: set `answer` to 42."""
    gap = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION")
    gap.metadata["nbgrader"] = {"grade": False, "grade_id": "gap", "locked": False, "schema_version": 3,
                                "solution": True, "task": False}
    check = nbformat.v4.new_code_cell('assert answer == 42, f"answer should be 42, got {answer}"\n'
                                      '### BEGIN HIDDEN TESTS\nimport helpers\n'
                                      'helpers.export("check", answer=answer)\n### END HIDDEN TESTS')
    check.metadata["nbgrader"] = {"grade": True, "grade_id": "check", "locked": True, "points": 1,
                                  "schema_version": 3, "solution": False, "task": False}
    nb = nbformat.v4.new_notebook(cells=[gap, check])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def submit(root: Path, student: str, lesson: str, answer: str | None, name: str | None = None,
           folder: str | None = None) -> Path:
    """Hand in `lesson` for `student` with `answer` as the gap's code (None: the blank student notebook),
    as submitted/<student>/<folder, default lesson>/<name, default lesson.ipynb>."""
    nb = nbformat.read(root / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
    if answer is not None:
        nb.cells[0].source = answer
    folder = root / "submitted" / student / (folder or lesson)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{lesson}.ipynb")
    nbformat.write(nb, path)
    return path


def make_tiny_course(folder: Path) -> Path:
    """A course in `folder` with the real configuration and two tiny lessons, not yet released."""
    root = copy_course(folder, ("nbgrader_config.py", "bundle"))
    for name in LESSONS:
        (root / "solutions" / name).mkdir(parents=True)
        nbformat.write(tiny_source(name), root / "solutions" / name / f"{name}.ipynb")
        (root / "solutions" / name / "verify.py").write_text(VERIFY)
    return root
