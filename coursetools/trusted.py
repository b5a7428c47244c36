"""Grades decided outside the student's kernel. The graded cells of an autograded notebook hold only their visible
checks and a plain export of what the student's code produced (helpers.export); every hidden check runs here, in
the grading process, which runs no student code, from those exports and the lesson's own checks in
solutions/<lesson>/verify.py. A cell whose export is missing, malformed or wrong gets an error output, so nbgrader
scores it 0. Where a check needs the student's code run on data the notebook never holds (lesson 3's hidden world),
the grader hands the data in as arrays right after that cell, runs one fixed line in the kernel, timed from here,
and judges what it exported (`run_after`)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
import zipfile
from dataclasses import dataclass
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

import nbformat
import numpy as np
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from helpers.exports import FOLDER, INPUTS

CHECKS = "verify.py"  # in each lesson's source folder: world() and one function per graded cell, named by its grade_id
SECRETS = "grading-secrets"  # in the course root, made by `make release`: what a lesson's hidden checks draw from
FIGURES = "grader-figures"  # in the course root: <lesson>/<student>.json, the figures a lesson's checks measured
HIDDEN_MARK = "(from a hidden check)"


class Exported(dict):
    """What one cell exported: name -> numpy array; a missing name is an AssertionError that says which. `runs`
    holds what the grader's own runs after a cell exported, with their seconds as timed by the grader."""

    def __init__(self, arrays: dict[str, np.ndarray], runs: dict[str, dict] | None = None):
        super().__init__(arrays)
        self.runs = runs or {}

    def __missing__(self, name: str) -> np.ndarray:
        raise AssertionError(f"the cell exported no {name!r}")


def load(path: Path) -> dict[str, np.ndarray]:
    """The arrays in one export file, read without unpickling anything (an object array is malformed)."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


@cache
def lesson_checks(path: Path) -> ModuleType:
    """The lesson's verify.py, imported from its path."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: every lesson needs the grader's own checks of its graded cells")
    spec = importlib.util.spec_from_file_location(f"verify_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def secret_path(root: Path, lesson: str) -> Path:
    """Where the course keeps `lesson`'s secret: in the course root, which no grading kernel and no bundle sees."""
    return root / SECRETS / f"{lesson}.json"


def load_secret(root: Path, lesson: str) -> dict | None:
    """`lesson`'s secret, or None if it has none yet."""
    path = secret_path(root, lesson)
    return json.loads(path.read_text()) if path.is_file() else None


def ensure_secret(root: Path, lesson: str, checks: ModuleType) -> dict | None:
    """`lesson`'s secret, made once by its verify.make_secret() if it has one and none is kept yet; never replaced."""
    if not hasattr(checks, "make_secret") or load_secret(root, lesson) is not None:
        return load_secret(root, lesson)
    secret = checks.make_secret()
    path = secret_path(root, lesson)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(secret, indent=1) + "\n")
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return secret


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
        figures = check(Exported(load(path), runs=runs or {}), world)
    except AssertionError as error:
        return Verdict(str(error) or "the exported answer is wrong")
    except (ValueError, KeyError, IndexError, TypeError, OSError, zipfile.BadZipFile) as error:
        return Verdict(f"what this cell exported is malformed ({type(error).__name__})")
    return Verdict("", figures)


def verdict(checks: ModuleType, grade_id: str, folder: Path, world: object = None, runs: dict | None = None) -> str | None:
    """Why the trusted check of cell `grade_id` fails on what it exported into `folder`, or None if it passes."""
    return judge(checks, grade_id, folder, world_for(checks, None) if world is None else world, runs).reason or None


def failed(message: str) -> NotebookNode:
    """The error output that makes nbgrader score a cell 0, with the reason, marked as a hidden check's."""
    text = f"{message} {HIDDEN_MARK}"
    return NotebookNode(output_type="error", ename="AssertionError", evalue=text, traceback=[f"AssertionError: {text}"])


def is_test_cell(cell: NotebookNode) -> bool:
    """Whether nbgrader scores this cell from its outputs (a graded cell that is not an answer)."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def hand_in(folder: Path, name: str, arrays: dict[str, np.ndarray]) -> Path:
    """Write `arrays` as `folder`/.grading-inputs/`name`.npz, readable by the kernel's own user. `folder` belongs to
    that user, who may have put a link there: whatever stands at .grading-inputs is removed, the folder is made anew
    (failing if something took its place meanwhile), and the file is written through the folder's descriptor, never
    through a link."""
    inputs = folder / INPUTS
    if inputs.is_symlink() or inputs.is_file():
        inputs.unlink()
    elif inputs.exists():
        shutil.rmtree(inputs)
    os.mkdir(inputs, 0o755)
    directory = os.open(inputs, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        file = os.open(f"{name}.npz", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=directory)
        with os.fdopen(file, "wb") as out:
            np.savez(out, **arrays)
        os.chmod(directory, 0o755)
    finally:
        os.close(directory)
    return inputs / f"{name}.npz"


def grader_run(checks: ModuleType, grade_id: str, world: object, folder: Path,
               execute: Callable[[str], NotebookNode]) -> tuple[str, dict] | None:
    """The lesson's own run after graded cell `grade_id`, if its checks ask for one (verify.AFTER = {grade_id: (name,
    line)}): hand its data in below `folder`, the kernel's folder, run its line with `execute`, timed from here, and
    take the data away. Returns (name, {"seconds", "error"}); what the line exported is read with the cell's exports."""
    if grade_id not in getattr(checks, "AFTER", {}):
        return None
    name, code = checks.AFTER[grade_id]
    path = hand_in(folder, name, checks.inputs_for(name, world))
    start = time.monotonic()
    try:
        ran = execute(code)
    finally:
        seconds = time.monotonic() - start
        shutil.rmtree(path.parent, ignore_errors=True)
    error = next((f"{o.ename}: {o.evalue}" for o in ran.get("outputs", []) if o.output_type == "error"), "")
    return name, {"seconds": seconds, "error": error}


def run_after(client, cell: NotebookNode, resources: dict, source_root: Path, course_root: Path) -> None:
    """Within nbgrader's Execute (`client`), right after graded `cell` passed: the lesson's own run, if it has one, in
    the same kernel, beside the sandbox's copy of the notebook's folder; its outputs go nowhere near the notebook, its
    seconds and error into resources["grader_runs"]."""
    lesson = resources["nbgrader"]["assignment"]
    checks = lesson_checks(source_root / lesson / CHECKS)
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id not in getattr(checks, "AFTER", {}) or any(o.output_type == "error" for o in cell.get("outputs", [])):
        return
    secret = load_secret(course_root, lesson)
    if secret is None:  # VerifyExports says so in every cell it would have judged
        return

    def execute(code: str) -> NotebookNode:
        run = nbformat.v4.new_code_cell(code)
        client.nb.cells.append(run)
        try:
            client.execute_cell(run, len(client.nb.cells) - 1, store_history=False)
        finally:
            client.nb.cells.pop()
        return run

    folder = Path(getattr(client.km, "copy", None) or resources["metadata"]["path"])  # the sandbox's copy, if any
    name, run = grader_run(checks, grade_id, world_for(checks, secret), folder, execute)
    resources.setdefault("grader_runs", {})[name] = run


def runs_with_exports(runs: dict[str, dict], folder: Path) -> dict[str, dict]:
    """Each grader's run with the arrays it exported into `folder` (none if it exported nothing readable)."""
    merged = {}
    for name, run in runs.items():
        path = folder / f"{name}.npz"
        try:
            arrays = load(path) if path.is_file() and not path.is_symlink() else {}
        except (ValueError, OSError, zipfile.BadZipFile):
            arrays = {}
        merged[name] = {**arrays, **run}
    return merged


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
    `runs` (seconds and errors; their exports are read from `folder`): grade_id -> why it failed, and the figures
    the checks measured."""
    runs = runs_with_exports(runs, folder)
    reasons, figures = {}, {}
    for grade_id in dict.fromkeys(passed_in_the_kernel(cells)):
        result = judge(checks, grade_id, folder, world, runs)
        if result.reason:
            reasons[grade_id] = result.reason
        figures.update(result.figures or {})
    return reasons, figures
