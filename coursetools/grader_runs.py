"""The grader's own runs in the student's kernel: where a lesson's check needs the student's code run on data the
notebook never holds (lesson 3's hidden world), the grader hands that data in as plain arrays after the notebook's last
cell, if the graded cell that asks for it (verify.AFTER) passed, runs one fixed line in the kernel, timed from the
grading process, and takes the data away, reading at once what the line exported. That is judged with the cell's
exports (coursetools/trusted.py)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType

import nbformat
import numpy as np
from nbformat import NotebookNode

from coursetools import sandbox
from coursetools.course_secrets import load_secret
from coursetools.trusted import CHECKS, lesson_checks, load, world_for
from helpers.exports import FOLDER, INPUTS


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


def grader_run(checks: ModuleType, grade_id: str, world: object, folder: Path, execute: Callable[[str], NotebookNode],
               exports: Path, fetch: Callable[[str], None] | None = None) -> tuple[str, dict] | None:
    """The lesson's own run after graded cell `grade_id`, if its checks ask for one (verify.AFTER = {grade_id: (name,
    line)}): hand its data in below `folder` (the kernel's folder, seen from outside the sandbox if it runs in one),
    run its line with `execute`, timed from here, take the data away and read what the line exported into `exports` at once (what
    student code writes there later, from a thread say, is never read), after `fetch(name)` brought it there from the
    sandbox, if the kernel runs in one. Returns (name, {"seconds", "error", and the exported arrays})."""
    if grade_id not in getattr(checks, "AFTER", {}):
        return None
    name, code = checks.AFTER[grade_id]
    exported = exports / f"{name}.npz"
    try:
        exported.unlink(missing_ok=True)  # not one that student code wrote before the run
        path = hand_in(folder, name, checks.inputs_for(name, world))
    except OSError as error:  # something the kernel left in the way
        return name, {"seconds": 0.0, "error": f"the grader could not hand its data in ({type(error).__name__})"}
    start = time.monotonic()
    try:
        ran = execute(code)
        if fetch:
            fetch(name)
    finally:
        seconds = time.monotonic() - start
        shutil.rmtree(path.parent, ignore_errors=True)
    # only the exception's name, cut short: its message is student code's, and could carry what the run was handed
    error = next((o.ename[:40] for o in ran.get("outputs", []) if o.output_type == "error"), "")
    try:
        arrays = load(exported) if exported.is_file() and not exported.is_symlink() else {}
        exported.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001  (a malformed or oversized export: the run's check says it exported nothing)
        arrays = {}
    return name, {**arrays, "seconds": seconds, "error": error}


def run_code(client, code: str) -> NotebookNode:
    """Run `code` as a cell of its own in the live kernel of nbclient's `client`, outside its notebook: the cell, with
    its outputs."""
    run = nbformat.v4.new_code_cell(code)
    client.nb.cells.append(run)
    try:
        client.execute_cell(run, len(client.nb.cells) - 1, store_history=False)
    finally:
        client.nb.cells.pop()
    return run


def run_after(client, cell: NotebookNode, resources: dict, source_root: Path, course_root: Path) -> None:
    """Within nbgrader's Execute (`client`), after the notebook's last cell, if graded `cell` passed: the lesson's own
    run for it, if it has one, in the same kernel, beside the sandbox's copy of the notebook's folder; its outputs go
    nowhere near the notebook (and no cell of it runs later, to print what the kernel saw), its seconds and error
    into resources["grader_runs"]."""
    lesson = resources["nbgrader"]["assignment"]
    checks = lesson_checks(source_root / lesson / CHECKS)
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id not in getattr(checks, "AFTER", {}) or any(o.output_type == "error" for o in cell.get("outputs", [])):
        return
    secret = load_secret(course_root, lesson)
    if secret is None:  # VerifyExports says so in every cell it would have judged
        return

    execute = partial(run_code, client)
    cwd = Path(resources["metadata"]["path"])
    if isinstance(client.km, sandbox.SandboxedKernelManager):  # its folder is in the sandbox, reached from outside
        folder, fetch = client.km.working_folder(), partial(sandbox.fetch_export, client.km, cwd=cwd)
    else:
        folder, fetch = cwd, None
    if folder is None:  # the kernel has ended: nothing to hand in to
        name, run = checks.AFTER[grade_id][0], {"seconds": 0.0, "error": "the kernel had ended"}
    else:
        name, run = grader_run(checks, grade_id, world_for(checks, secret), folder, execute, cwd / FOLDER, fetch)
    resources.setdefault("grader_runs", {})[name] = run
