"""What a graded cell hands to the grader: while nbgrader autogrades, each graded cell's hidden part exports the
objects the student's code produced, and the grading process, outside the notebook, judges them
(coursetools/trusted.py). Where the grader needs the student's code run on data the notebook does not have, it hands
that data in as plain arrays (`inputs`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FOLDER = ".grading-exports"  # in the notebook's folder, where the grader reads it back after the run
ELSEWHERE = "GRADING_EXPORTS"  # a folder to export into instead (the tests use one)
INPUTS = ".grading-inputs"  # in the notebook's folder: what the grader hands in, only while it is needed
INPUTS_ELSEWHERE = "GRADING_INPUTS"  # a folder to read them from instead (the tests use one)


def grading() -> bool:
    """Whether nbgrader is autograding this kernel now."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def export(grade_id: str, **values: object) -> None:
    """Save `values` (arrays, or what np.asarray makes one of) for the grader's own check of cell `grade_id`; only
    while nbgrader autogrades, a no-op everywhere else."""
    if not grading():
        return
    folder = Path(os.environ.get(ELSEWHERE) or FOLDER)
    folder.mkdir(exist_ok=True)
    np.savez_compressed(folder / f"{grade_id}.npz", **{name: np.asarray(value) for name, value in values.items()})


def inputs(name: str) -> dict[str, np.ndarray]:
    """The arrays the grader handed in as `name` (read without unpickling anything); FileNotFoundError if none."""
    path = Path(os.environ.get(INPUTS_ELSEWHERE) or INPUTS) / f"{name}.npz"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the grader hands these data in only while it autogrades")
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
