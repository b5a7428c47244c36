"""Lesson 2's reference GMF on any world of the taste data, without nbgrader: the solution notebook's own cells (the
model, its training, and the hidden part of gap 5's graded cell, which exports for the grader) run in this process
on verify.py's world for a seed, as nbgrader's autograde would run them. Also the best prediction any model could
make there, the generator's own formula. Run as a script, it writes the exports the tests grade:

    python tests/lesson2_reference.py FOLDER SPEC...    (SPEC: a data seed, "+test" to fit on train and test)
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
LESSON = "lesson2_beyond"
SOURCE = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"
CHECK = "test_gap5_gmf_rmse"
DEFINES = ("import helpers", "tf = helpers.import_tensorflow_quietly()", "def id_embedding", "class BiasedGMF",
           "def to_ds")  # how the cells that the fit needs begin
FITS = "gmf = fit_gmf(train)"  # in the cell that fits the model and measures its test RMSE
LOW, HIGH, NOISE_SD = 1.0, 9.0, 1.0  # helpers.make_taste_data's clipping and noise


def code_cells() -> list[nbformat.NotebookNode]:
    """The solution notebook's code cells."""
    return [cell for cell in nbformat.read(SOURCE, as_version=4).cells if cell.cell_type == "code"]


def hidden_part(cell: nbformat.NotebookNode) -> str:
    """What a graded cell runs only while nbgrader autogrades: its export for the grader."""
    return re.search(r"### BEGIN HIDDEN TESTS\n(.*)### END HIDDEN TESTS", cell.source, re.S).group(1)


def reference_namespace() -> dict:
    """The notebook's globals once its import, model and training cells have run (TensorFlow imported here)."""
    namespace: dict = {}
    for cell in code_cells():
        if cell.source.startswith(DEFINES):
            exec(compile(cell.source, f"<{LESSON} cell {cell.id}>", "exec"), namespace)
    return namespace


@contextlib.contextmanager
def autograding(folder: Path) -> Iterator[None]:
    """helpers.export writes into `folder`, as under nbgrader's autograde, until the block ends."""
    saved = {name: os.environ.get(name) for name in ("NBGRADER_EXECUTION", "GRADING_EXPORTS")}
    os.environ.update(NBGRADER_EXECUTION="autograde", GRADING_EXPORTS=str(folder))
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.update({name: value})


def fit_and_export(namespace: dict, train: pd.DataFrame, test: pd.DataFrame, folder: Path) -> Path:
    """Fit the reference on `train` as the notebook does, measure it on `test`, and export as gap 5's graded cell
    does into `folder`; the export's path."""
    cells = code_cells()
    run = {**namespace, "train": train.reset_index(drop=True), "test": test}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(next(cell.source for cell in cells if FITS in cell.source), run)
    folder.mkdir(parents=True, exist_ok=True)
    with autograding(folder):
        exec(hidden_part(next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == CHECK)), run)
    return folder / f"{CHECK}.npz"


def checks():
    """Lesson 2's verify.py, as the grader imports it."""
    sys.path.insert(0, str(ROOT))
    from coursetools.trusted import CHECKS, lesson_checks

    return lesson_checks(ROOT / "solutions" / LESSON / CHECKS)


def clipped_mean(true_rating: np.ndarray) -> np.ndarray:
    """E[clip(t + noise, 1, 9)] for each true rating t: the best prediction of a rating that any model could make,
    knowing the generator's formula, its noise and every true rating."""
    t = np.asarray(true_rating, dtype=float)
    a, b = (LOW - t) / NOISE_SD, (HIGH - t) / NOISE_SD
    inside = t * (norm.cdf(b) - norm.cdf(a)) + NOISE_SD * (norm.pdf(a) - norm.pdf(b))  # E[t + noise; not clipped]
    return LOW * norm.cdf(a) + HIGH * norm.sf(b) + inside


def main(argv: list[str]) -> int:
    """Write the reference's export for each SPEC into FOLDER/SPEC/."""
    folder, specs = Path(argv[0]), argv[1:]
    namespace, verify = reference_namespace(), checks()
    for spec in specs:
        w = verify.world(int(spec.removesuffix("+test")))
        train = pd.concat([w.train, w.test]) if spec.endswith("+test") else w.train
        fit_and_export(namespace, train, w.test, folder / spec)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
