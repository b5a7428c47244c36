"""What a graded cell hands to the grader: while nbgrader autogrades, each graded cell's hidden part exports the
objects it checked, and a process outside the notebook checks them again (coursetools/trusted.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FOLDER = ".grading-exports"  # in the notebook's folder, where the grader reads it back after the run
ELSEWHERE = "GRADING_EXPORTS"  # a folder to export into instead (the tests use one)


def export(grade_id: str, **values: object) -> None:
    """Save `values` (arrays, or what np.asarray makes one of) for the grader's own check of cell `grade_id`; only
    while nbgrader autogrades, a no-op everywhere else."""
    if os.environ.get("NBGRADER_EXECUTION") != "autograde":
        return
    folder = Path(os.environ.get(ELSEWHERE) or FOLDER)
    folder.mkdir(exist_ok=True)
    np.savez_compressed(folder / f"{grade_id}.npz", **{name: np.asarray(value) for name, value in values.items()})
