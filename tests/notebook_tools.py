"""Reading, filling in and running the course notebooks in tests."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config, PyFileConfigLoader

from conftest import ROOT

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def source_path(name: str) -> Path:
    """The hand-written solution (nbgrader source) notebook of assignment `name`."""
    return ROOT / "solutions" / name / f"{name}.ipynb"


def student_path(name: str) -> Path:
    """The generated student notebook of assignment `name`."""
    return ROOT / "notebooks" / name / f"{name}.ipynb"


def copy_course(dest: Path, names: tuple[str, ...] = ("nbgrader_config.py", "solutions", "notebooks")) -> Path:
    """Copy the parts of the course named in `names` into `dest`, a stand-in course root."""
    for name in names:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    return dest


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


def errors(cell) -> list[str]:
    """Names of the exceptions a cell raised."""
    return [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]


def stderr(cell) -> str:
    """What a cell wrote to stderr."""
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stderr")
