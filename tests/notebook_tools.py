"""Reading, filling in and running the course notebooks in tests."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config, PyFileConfigLoader

from conftest import ROOT
from coursetools.course_secrets import secret_path
from lesson3_cases import KNOWN_WORLD

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def source_path(name: str) -> Path:
    """The hand-written solution (nbgrader source) notebook of assignment `name`."""
    return ROOT / "solutions" / name / f"{name}.ipynb"


def student_path(name: str) -> Path:
    """The generated student notebook of assignment `name`."""
    return ROOT / "notebooks" / name / f"{name}.ipynb"


COURSE_PARTS = ("nbgrader_config.py", "bundle", "solutions", "notebooks")


def copy_course(dest: Path, names: tuple[str, ...] = COURSE_PARTS) -> Path:
    """Copy the parts of the course named in `names` into `dest`, a stand-in course root; with the solutions, lesson
    3's hidden world is the tests' known one, so that release need not draw one and measure its reference."""
    for name in names:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    if "solutions" in names:
        give_the_known_world(dest)
    return dest


def give_the_known_world(root: Path) -> None:
    """Make the tests' known world lesson 3's hidden world in the course at `root`, as if release had drawn it."""
    secret = secret_path(root, "lesson3_challenge")
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(json.dumps(KNOWN_WORLD))


def coursetools(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run `python -m coursetools --root root ARGS` (the Makefile's instructor steps) and capture its output."""
    return subprocess.run([sys.executable, "-m", "coursetools", "--root", str(root), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600, check=check)


def nbgrader_config() -> Config:
    """The course's nbgrader_config.py, loaded as nbgrader itself loads it."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def grade_id(cell) -> str | None:
    """The nbgrader grade_id of a cell, if it has one."""
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_graded(cell) -> bool:
    """Whether nbgrader gives the cell points."""
    return bool(cell.metadata.get("nbgrader", {}).get("grade"))


def is_solution(cell) -> bool:
    """Whether the cell is one of the student's gaps."""
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def region_lines(cell, region: str) -> list[str]:
    """The stripped lines between `### BEGIN <region>` and `### END <region>` in a source cell."""
    lines, inside = [], False
    for line in cell.source.splitlines():
        if f"### BEGIN {region}" in line:
            inside = True
        elif f"### END {region}" in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def without_markers(source: str) -> str:
    """Source with nbgrader's region markers removed (the answer a student would write)."""
    markers = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def passing_every_assert(source: str) -> str:
    """`source` as an input transformer that turns every assert into one that passes would hand it to the kernel."""
    return re.sub(r"^(\s*)assert ", r"\1assert True or ", source, flags=re.M)


def fill_in(student: nbformat.NotebookNode, source: nbformat.NotebookNode,
            answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The student notebook with each gap answered: from `answers` by grade_id, else from the solution."""
    answers = answers or {}
    by_id = {grade_id(c): c for c in source.cells if grade_id(c)}
    filled = copy.deepcopy(student)
    for cell in filled.cells:
        if is_solution(cell):
            cell.source = answers.get(grade_id(cell), without_markers(by_id[grade_id(cell)].source))
    return filled


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run every cell of `nb` in a fresh kernel of this venv, keeping errors as outputs."""
    nb = copy.deepcopy(nb)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


NAMES = "import json as _json; print(_json.dumps([n for n in globals() if not n.startswith('_')]))"


class LiveNotebook:
    """A notebook run top to bottom in a kernel that stays up, so that single cells can be re-run with other code."""

    def __init__(self, nb: nbformat.NotebookNode, cwd: Path):
        self.nb = copy.deepcopy(nb)
        self.client = NotebookClient(self.nb, timeout=600, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(cwd)}})
        self._kernel = None
        self._changed_from: int | None = None  # cells from here on last ran with other code
        self._defined_before: list[set[str]] = []  # cell index -> names defined before it first ran

    def __enter__(self) -> "LiveNotebook":
        self._kernel = self.client.setup_kernel()
        self._kernel.__enter__()
        names: set[str] = set()
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type == "code":
                names = self._names()
                self.client.execute_cell(cell, index)
            self._defined_before.append(names)
        return self

    def _names(self) -> set[str]:
        """The names now defined in the kernel."""
        return set(json.loads(self.run(NAMES).outputs[0].text))

    def __exit__(self, *exc) -> None:
        self._kernel.__exit__(*exc)

    def index(self, grade: str) -> int:
        """Position of the cell with nbgrader grade_id `grade`."""
        return next(i for i, c in enumerate(self.nb.cells) if grade_id(c) == grade)

    def rerun(self, changes: dict[int, str], start: int | None = None) -> dict[int, nbformat.NotebookNode]:
        """Run the code cells again from `start` (default: the first changed one) to the end, cell i with
        `changes[i]` as its source, and return them as they ran, by index. A later call first re-runs,
        with their own code, the cells an earlier call left changed."""
        start = min(changes) if start is None else start
        begin = min(start, self._changed_from) if self._changed_from is not None else start
        # as in a fresh kernel, names that only cells from `begin` on define do not exist yet
        self.run(f"for _name in {sorted(self._names() - self._defined_before[begin])}: del globals()[_name]")
        ran = {}
        for index, kept in enumerate(self.nb.cells[begin:], start=begin):
            if kept.cell_type == "code":
                cell = nbformat.v4.new_code_cell(changes.get(index, kept.source), metadata=kept.metadata)
                self.client.execute_cell(cell, index)  # which also puts `cell` in self.nb.cells ...
                self.nb.cells[index] = kept  # ... where the notebook's own code must stay
                ran[index] = cell
        self._changed_from = start if changes else None
        return ran

    def run(self, source: str) -> nbformat.NotebookNode:
        """Run `source` as a new cell in the live kernel and return that cell with its outputs."""
        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        self.client.execute_cell(cell, len(self.nb.cells) - 1)
        return self.nb.cells.pop()


def error_text(cell) -> str:
    """`Name: message` of each exception a cell raised, one per line."""
    return "\n".join(f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error")


def errors(cell) -> list[str]:
    """Names of the exceptions a cell raised."""
    return [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]


def stderr(cell) -> str:
    """What a cell wrote to stderr."""
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stderr")
