"""Grades decided outside the student's kernel. The graded cells of an autograded notebook hold only their visible
checks and a plain export of what the student's code produced (helpers.export); every hidden check runs here, in
the grading process, which runs no student code, from those exports and the lesson's own checks in
solutions/<lesson>/verify.py. A cell whose export is missing, malformed or wrong gets an error output, so nbgrader
scores it 0. Where a check needs the student's code run on data the notebook never holds (lesson 3's hidden world),
the grader hands the data in as arrays after the last cell, runs one fixed line in the kernel, timed from here, and
judges what it exported (coursetools/grader_runs.py)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from coursetools.course_secrets import load_secret
from helpers.exports import FOLDER

CHECKS = "verify.py"  # in each lesson's source folder: world() and one function per graded cell, named by its grade_id
FIGURES = "grader-figures"  # in the course root: <lesson>/<student>.json, the figures a lesson's checks measured
HIDDEN_MARK = "(from a hidden check)"
MESSAGE_CHARS = 300  # of a hidden check's message
EXPORT_MB = 256  # the most that the grader loads from one export file, all its arrays together


class Exported(dict):
    """What one cell exported: name -> numpy array; a missing name is an AssertionError that says which. `runs`
    holds what the grader's own runs after a cell exported, with their seconds as timed by the grader."""

    def __init__(self, arrays: dict[str, np.ndarray], runs: dict[str, dict] | None = None):
        super().__init__(arrays)
        self.runs = runs or {}

    def __missing__(self, name: str) -> np.ndarray:
        raise AssertionError(f"the cell exported no {name!r}")


def load(path: Path, limit: int = EXPORT_MB * 2**20) -> dict[str, np.ndarray]:
    """The arrays in one export file, read without unpickling anything (an object array is malformed), after checking
    from each array's header that all of them take at most `limit` bytes (ValueError if not)."""
    total = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            total += info.file_size  # what reading the member may inflate to, at most
            with archive.open(info) as member:
                total = max(total, declared_bytes(member))
            if total > limit:
                raise ValueError(f"the export holds more than {limit // 2**20} MB")
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def declared_bytes(member) -> int:
    """The bytes that the .npy array in `member` says it holds, from its header alone (ValueError for an object array
    or a header numpy cannot read without trusting it)."""
    version = np.lib.format.read_magic(member)
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in readers:
        raise ValueError(f"an array of format {version}")
    shape, _, dtype = readers[version](member)
    if dtype.hasobject:
        raise ValueError("an object array")
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


@cache
def lesson_checks(path: Path) -> ModuleType:
    """The lesson's verify.py, imported from its path."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: every lesson needs the grader's own checks of its graded cells")
    spec = importlib.util.spec_from_file_location(f"verify_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def world_for(checks: ModuleType, secret: dict | None) -> object:
    """The lesson's data, recomputed once per grading process by its world() (given its secret, if it has one)."""
    return _world(checks, json.dumps(secret, sort_keys=True) if secret is not None else None)


@cache
def _world(checks: ModuleType, secret: str | None) -> object:
    return checks.world(json.loads(secret)) if secret is not None else checks.world()


@dataclass(frozen=True)
class Verdict:
    """Why a cell's trusted check failed ("" if it passed), and the figures it measured, if any."""

    reason: str
    figures: dict | None = None


def judge(checks: ModuleType, grade_id: str, folder: Path, world: object, runs: dict | None = None) -> Verdict:
    """The trusted check of cell `grade_id` on what it exported into `folder`, and on `runs` (the grader's own runs)."""
    check = getattr(checks, grade_id, None)
    if check is None:
        return Verdict(f"the grader has no check of its own for {grade_id} (add one to {CHECKS})")
    path = folder / f"{grade_id}.npz"
    if not path.is_file() or path.is_symlink():
        return Verdict("this cell exported nothing for the grader: it did not run to its end")
    try:
        exported = Exported(load(path), runs=runs or {})
    except Exception as error:  # noqa: BLE001  (whatever a hostile file makes numpy raise fails this cell alone)
        return Verdict(f"what this cell exported is malformed ({type(error).__name__})")
    try:
        figures = check(exported, world)
    except AssertionError as error:
        return Verdict(str(error) or "the exported answer is wrong")
    except Exception as error:  # noqa: BLE001  (an array of a shape the check did not expect, say, or a bug in it)
        return Verdict(f"what this cell exported is malformed, or the grader's own check failed on it "
                       f"({type(error).__name__})")
    return Verdict("", figures)


def verdict(checks: ModuleType, grade_id: str, folder: Path, world: object = None, runs: dict | None = None) -> str | None:
    """Why the trusted check of cell `grade_id` fails on what it exported into `folder`, or None if it passes."""
    return judge(checks, grade_id, folder, world_for(checks, None) if world is None else world, runs).reason or None


def failed(message: str) -> NotebookNode:
    """The error output that makes nbgrader score a cell 0, with the reason, marked as a hidden check's."""
    text = f"{message[:MESSAGE_CHARS]} {HIDDEN_MARK}"  # short: a message may quote what a submission exported
    return NotebookNode(output_type="error", ename="AssertionError", evalue=text, traceback=[f"AssertionError: {text}"])


def is_test_cell(cell: NotebookNode) -> bool:
    """Whether nbgrader scores this cell from its outputs (a graded cell that is not an answer)."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class VerifyExports(NbGraderPreprocessor):
    """After Execute, before SaveAutoGrades: every test cell that passed in the student's kernel must also pass the
    lesson's trusted check, or it gets an error output saying why. The figures a check measured are written to
    grader-figures/<lesson>/<student>.json; the exports are deleted once read, so that none reaches feedback."""

    source_root = Unicode("", config=True, help="the folder of the lessons' sources, each with its verify.py")
    course_root = Unicode("", config=True, help="the course root, which holds grading-secrets/ and grader-figures/")

    def preprocess(self, nb, resources):
        folder = Path(resources["metadata"]["path"]) / FOLDER
        lesson, student = resources["nbgrader"]["assignment"], resources["nbgrader"]["student"]
        checks = lesson_checks(Path(self.source_root) / lesson / CHECKS)
        figures_file = Path(self.course_root) / FIGURES / lesson / f"{student}.json"
        figures_file.unlink(missing_ok=True)
        if hasattr(checks, "make_secret") and load_secret(Path(self.course_root), lesson) is None:
            reasons = {grade_id: "the course has no secret for this lesson: run `make release`"
                       for grade_id in passed_in_the_kernel(nb.cells)}
            figures = {}
        else:
            world = world_for(checks, load_secret(Path(self.course_root), lesson))
            reasons, figures = judge_cells(nb.cells, checks, folder, world, resources.get("grader_runs", {}))
        for cell in nb.cells:
            if is_test_cell(cell) and cell.metadata.nbgrader["grade_id"] in reasons:
                cell.outputs.append(failed(reasons[cell.metadata.nbgrader["grade_id"]]))
        if figures:
            figures_file.parent.mkdir(parents=True, exist_ok=True)
            figures_file.write_text(json.dumps(figures, indent=1) + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        return nb, resources


def passed_in_the_kernel(cells: list[NotebookNode]) -> list[str]:
    """The grade_ids of the test cells that ran without an error in the student's kernel."""
    return [cell.metadata.nbgrader["grade_id"] for cell in cells
            if is_test_cell(cell) and not any(o.output_type == "error" for o in cell.get("outputs", []))]


def judge_cells(cells: list[NotebookNode], checks: ModuleType, folder: Path, world: object,
                runs: dict[str, dict]) -> tuple[dict[str, str], dict]:
    """The trusted check of every test cell that passed in the kernel, on its exports in `folder` and the grader's
    own `runs` (coursetools/grader_runs.py): grade_id -> why it failed, and the figures the checks measured."""
    reasons, figures = {}, {}
    for grade_id in dict.fromkeys(passed_in_the_kernel(cells)):
        result = judge(checks, grade_id, folder, world, runs)
        if result.reason:
            reasons[grade_id] = result.reason
        figures.update(result.figures or {})
    return reasons, figures
