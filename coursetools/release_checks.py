"""What `make release` refuses to hand out, as otter-grader's `otter assign` runs a master notebook's tests before it
writes the student's: a lesson whose graded cells and the grader's own checks (verify.py) do not pair up, whose hidden
parts do more than export, whose solution fails a check, or whose blank student notebook passes one.

The pairing and the hidden parts are read from the source notebook. The solution and the blank notebook are run as
nbgrader's autograde runs them (outside the sandbox: they are the instructor's own), every test cell judged by the
kernel and then by verify.py; that costs a lesson's run time, so a lesson whose files, helpers and checks are unchanged
since they last passed is not run again (the record of what passed is kept in the user's cache folder)."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import tempfile
from functools import partial
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

from coursetools.course_secrets import load_secret, secret_path
from coursetools.grader_runs import grader_run, run_code
from coursetools.sandbox import helpers_folder
from coursetools.trusted import CHECKS, is_test_cell, judge, lesson_checks, world_for
from helpers.exports import ELSEWHERE, INPUTS, INPUTS_ELSEWHERE

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
# What a hidden part may hold: imports, names given to values, `with np.errstate(...)`, and calls (helpers.export).
STATEMENTS = (ast.Import, ast.ImportFrom, ast.Assign, ast.With, ast.Expr)
FORBIDDEN_CALLS = {"print", "display", "exec", "eval", "input", "breakpoint"}
SWITCH = "RELEASE_CHECKS"  # "static": only what reading the lesson shows (a course's own tests, which run it elsewhere)
CHECKED = "release-checks"  # below the user's cache folder: one empty file per lesson content that passed


def grade_id(cell: NotebookNode) -> str:
    """The cell's nbgrader grade_id ("" if it has none)."""
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def hidden_problems(cell: NotebookNode) -> list[str]:
    """Why the hidden part of test cell `cell` does more than export what the student's code produced, if it does."""
    found = HIDDEN.search(cell.source)
    if not found:
        return [f"{grade_id(cell)}: no hidden part exports what it checked; add ### BEGIN HIDDEN TESTS with "
                f'helpers.export("{grade_id(cell)}", ...) and check it in {CHECKS}']
    try:
        tree = ast.parse(found.group(1))
    except SyntaxError as error:
        return [f"{grade_id(cell)}: its hidden part is not valid Python ({error.msg}, line {error.lineno})"]
    problems = [f"{grade_id(cell)}: its hidden part has {describe(node)} (line {node.lineno}), which would run in the "
                f"student's kernel, where it can be read and fooled: a hidden part only exports; move the check to "
                f"{CHECKS}'s {grade_id(cell)}()" for node in forbidden(tree)]
    if not any(exports_itself(node, grade_id(cell)) for node in ast.walk(tree)):
        problems.append(f'{grade_id(cell)}: its hidden part never calls helpers.export("{grade_id(cell)}", ...), so '
                        "the grader has nothing to judge")
    return problems


def forbidden(tree: ast.Module) -> list[ast.AST]:
    """The statements and calls of a hidden part that do more than export (an assert, an if, a print, ...)."""
    found = [node for node in tree.body if not isinstance(node, STATEMENTS)]
    found += [node for node in ast.walk(tree) if isinstance(node, ast.With) for node in node.body
              if not isinstance(node, STATEMENTS)]
    found += [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in FORBIDDEN_CALLS]
    return sorted(found, key=lambda node: node.lineno)


def describe(node: ast.AST) -> str:
    """`an assert`, `a call of print`, ...: what a forbidden node is, for a message."""
    if isinstance(node, ast.Call):
        return f"a call of {node.func.id}()"
    name = type(node).__name__.lower()
    return f"{'an' if name[0] in 'aeiou' else 'a'} `{name}`"


def exports_itself(node: ast.AST, name: str) -> bool:
    """Whether `node` is a call helpers.export("<name>", ...) (or export("<name>", ...))."""
    return (isinstance(node, ast.Call) and bool(node.args) and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == name
            and (isinstance(node.func, ast.Attribute) and node.func.attr == "export"
                 or isinstance(node.func, ast.Name) and node.func.id == "export"))


def pairing_problems(cells: list[NotebookNode], checks: object) -> list[str]:
    """Graded test cells that verify.py has no check for, and verify.py's test_ checks that no graded cell has."""
    graded = [grade_id(cell) for cell in cells if is_test_cell(cell)]
    problems = [f"{name}: a graded cell with no check of the grader's own: add def {name}(got, world) to {CHECKS}"
                for name in graded if not callable(getattr(checks, name, None))]
    extra = sorted(name for name in dir(checks) if name.startswith("test_") and name not in graded)
    problems += [f"{name}: {CHECKS} checks a cell the lesson does not grade: remove {name}() from {CHECKS}, or give "
                 "the graded cell that grade_id" for name in extra]
    return problems


def static_problems(source: Path) -> list[str]:
    """What is wrong with the lesson at `source` (its notebook) that reading it shows."""
    cells = nbformat.read(source, as_version=4).cells
    checks = lesson_checks(source.parent / CHECKS)
    return pairing_problems(cells, checks) + [p for cell in cells if is_test_cell(cell) for p in hidden_problems(cell)]


def failed_in_kernel(cell: NotebookNode) -> str:
    """Why test cell `cell` failed in the kernel ("" if it passed): its error, or what it wrote to stderr (which
    nbgrader scores 0 too)."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"[:200]
        if output.output_type == "stream" and output.name == "stderr" and output.text.strip():
            return f"it wrote to stderr: {output.text.strip()[:200]}"
    return ""


def run_as_graded(root: Path, lesson: str, nb: NotebookNode, folder: Path) -> dict[str, str]:
    """Run `nb` as nbgrader's autograde would, in `folder`, then the grader's own runs and checks: grade_id -> why
    the test cell failed ("" if it passed)."""
    checks = lesson_checks(root / "solutions" / lesson / CHECKS)
    secret = load_secret(root, lesson)
    world = world_for(checks, secret)
    exports, inputs = folder / "exports", folder / "handed-in"
    exports.mkdir()
    inputs.mkdir()
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", **{ELSEWHERE: str(exports),
                                                             INPUTS_ELSEWHERE: str(inputs / INPUTS)})
    if helpers_folder():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(helpers_folder().parent), env.get("PYTHONPATH")]))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    reasons, runs = {}, {}
    with client.setup_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        for cell in nb.cells:
            if is_test_cell(cell) and not failed_in_kernel(cell):
                ran = grader_run(checks, grade_id(cell), world, inputs, partial(run_code, client), exports)
                runs.update([ran] if ran else [])
    for cell in nb.cells:
        if is_test_cell(cell):
            reasons[grade_id(cell)] = failed_in_kernel(cell) or judge(checks, grade_id(cell), exports, world, runs).reason
    return reasons


def run_problems(root: Path, lesson: str, blank: Path) -> list[str]:
    """Test cells that fail on the lesson's solution, and test cells that pass on its blank student notebook `blank`."""
    problems = []
    source = nbformat.read(root / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    for what, nb in (("solution", source), ("blank", as_autograded(nbformat.read(blank, as_version=4), source))):
        with tempfile.TemporaryDirectory(prefix=f"release-check-{lesson}-") as folder:
            reasons = run_as_graded(root, lesson, nb, Path(folder))
        if what == "solution":
            problems += [f"{name}: fails on the solution ({why}); fix the solution or the check" for name, why
                         in reasons.items() if why]
        else:
            problems += [f"{name}: passes on the blank student notebook, so it gives points for nothing; make its "
                         "check fail when the gap is not filled" for name, why in reasons.items() if not why]
    return problems


def as_autograded(submitted: NotebookNode, source: NotebookNode) -> NotebookNode:
    """`submitted` as nbgrader's autograde runs it: each locked or graded cell's source put back from `source`
    (hidden parts included), as its OverwriteCells does."""
    kept = {grade_id(cell): cell.source for cell in source.cells if grade_id(cell)}
    for cell in submitted.cells:
        meta = cell.metadata.get("nbgrader", {})
        if (meta.get("locked") or is_test_cell(cell)) and grade_id(cell) in kept:
            cell.source = kept[grade_id(cell)]
    return submitted


def content_hash(root: Path, lesson: str) -> str:
    """A hash of everything a lesson's check runs on: its source folder, the helpers, the grader's code, its secret."""
    digest = hashlib.sha256()
    folders = [root / "solutions" / lesson, helpers_folder() or root / "helpers", Path(__file__).parent]
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes() + b"\0")
    secret = secret_path(root, lesson)
    digest.update(secret.read_bytes() if secret.is_file() else b"")
    return digest.hexdigest()


def record_folder() -> Path:
    """Where the record of the lessons that passed is kept: $XDG_CACHE_HOME (or ~/.cache)/recsys-course/."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "recsys-course" / CHECKED


def runs_notebooks() -> bool:
    """Whether the checks run the solution and the blank notebook (RELEASE_CHECKS is not "static")."""
    return os.environ.get(SWITCH, "all") != "static"


def problems(root: Path, lesson: str, blank: Path) -> list[str]:
    """Everything that stops `lesson` from being released, with its blank student notebook at `blank` ([] if none)."""
    found = static_problems(root / "solutions" / lesson / f"{lesson}.ipynb")
    if found or not runs_notebooks():
        return found
    passed = record_folder() / content_hash(root, lesson)
    if passed.is_file():
        return []
    print(f"{lesson}: running the solution and the blank notebook through every check, as grading would ...", flush=True)
    found = run_problems(root, lesson, blank)
    if not found:
        passed.parent.mkdir(parents=True, exist_ok=True)
        passed.write_text(json.dumps({"lesson": lesson}) + "\n")
    return found
