"""`make student-bundle`: what students get holds the notebooks, helpers and a working `make lab`,
and no solution, hidden test, test suite or nbgrader source."""

from __future__ import annotations

import json
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from lab_server import federated_extensions, fetch, lab_page, make_lab
from notebook_tools import ASSIGNMENTS, coursetools, region_lines, source_path

NAME = "recsys-course-student"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist") / f"{NAME}.zip"
    coursetools(ROOT, "student-bundle", "--out", str(out))
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_bundle_holds_what_a_student_needs(bundle):
    names = {name.removeprefix(f"{NAME}/") for name in bundle}
    expected = {"README.md", "Makefile", "venv.mk", "requirements.txt", "environment.yml", "pyproject.toml",
                "nbgrader_config.py", "helpers/__init__.py"}
    expected |= {f"notebooks/{a}/{a}.ipynb" for a in ASSIGNMENTS}
    assert expected <= names, sorted(expected - names)
    assert all(name.startswith(f"{NAME}/") for name in bundle)


def test_the_bundle_says_how_to_hand_in(bundle):
    readme = bundle[f"{NAME}/README.md"].decode()
    assert "Validate" in readme and "<!--" not in readme
    for lesson in ASSIGNMENTS:
        assert f"- `{lesson}.ipynb`: the file `notebooks/{lesson}/{lesson}.ipynb`" in readme


def test_a_bundle_of_some_lessons_holds_those_alone(tmp_path):
    out = tmp_path / "one.zip"
    coursetools(ROOT, "student-bundle", "--out", str(out), "--lessons", "lesson1_basics")
    with zipfile.ZipFile(out) as archive:
        notebooks = [n for n in archive.namelist() if n.endswith(".ipynb")]
        readme = archive.read(f"{NAME}/README.md").decode()
    assert notebooks == [f"{NAME}/notebooks/lesson1_basics/lesson1_basics.ipynb"]
    assert "`lesson1_basics.ipynb`" in readme and "lesson2_beyond" not in readme and "lesson3" not in readme
    assert "MOVIELENS_PATH" not in readme, "lesson 2's paragraph goes with lesson 2"
    wrong = coursetools(ROOT, "student-bundle", "--out", str(out), "--lessons", "lesson9", check=False)
    assert wrong.returncode != 0 and "error: lesson9: not a lesson of this course" in wrong.stderr


def test_the_bundle_holds_no_solution_test_or_hidden_check(bundle):
    names = [name.removeprefix(f"{NAME}/") for name in bundle]
    for part in ("solutions/", "tests/", "coursetools/", "scripts/", "bundle/", "__pycache__", ".ipynb_checkpoints"):
        assert not [n for n in names if part in n], f"{part} is in the bundle"
    text = "\n".join(data.decode() for data in bundle.values())
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    checked = 0
    for assignment in ASSIGNMENTS:
        for cell in nbformat.read(source_path(assignment), as_version=4).cells:
            for line in region_lines(cell, "SOLUTION") + region_lines(cell, "HIDDEN TESTS"):
                assert line not in text, f"the bundle holds a line of {assignment}'s answers: {line}"
                checked += 1
    assert checked > 50, "too few answer lines were checked for the check to mean anything"


def test_make_lab_in_the_unzipped_bundle_installs_and_serves_the_lessons(bundle, tmp_path):
    """The bundle's own `make lab` creates its .venv with the real recipe and JupyterLab answers.

    PYTHONPATH lends it this venv's packages, so pip finds the pinned set already there
    instead of downloading 3 GB again; the course's own install runs the same venv.mk
    and requirements.txt from scratch. JUPYTER_PATH and JUPYTER_CONFIG_PATH let the
    server find the nbgrader extension that those packages bring."""
    folder = tmp_path / "unzipped"
    for name, data in bundle.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    course = folder / NAME
    lent = {"PYTHONPATH": sysconfig.get_paths()["purelib"],
            "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
            "JUPYTER_CONFIG_PATH": str(Path(sys.prefix) / "etc" / "jupyter")}
    with make_lab(course, tmp_path, **lent) as server:
        enabled, _ = federated_extensions(lab_page(*server, seconds=600))
        status, listing = fetch(f"{server[0]}/api/contents/notebooks?token=course-test")
    assert "@jupyter/nbgrader" in enabled
    assert status == 200 and {e["name"] for e in json.loads(listing)["content"]} >= set(ASSIGNMENTS)
    assert (course / ".venv" / ".installed").exists()
    kernel = json.loads((course / ".venv" / "share" / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert kernel["env"]["TF_USE_LEGACY_KERAS"] == "1"
    assert kernel["argv"][0].startswith(str(course / ".venv")), kernel["argv"]
