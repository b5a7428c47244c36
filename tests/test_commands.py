"""The README's two commands: `make lab` serves the course, `make test` fails when a test fails."""

import os
import subprocess

import pytest

from conftest import ROOT
from lab_server import federated_extensions, lab_page, make_lab


@pytest.fixture
def lab(tmp_path):
    with make_lab(ROOT, tmp_path) as server:
        yield server


def test_make_lab_serves_jupyterlab_with_nbgrader(lab):
    enabled, disabled = federated_extensions(lab_page(*lab))
    assert "@jupyter/nbgrader" in enabled
    assert not any(name.startswith("@jupyter/nbgrader") for name in disabled)


def test_make_help_lists_every_target_with_one_line(tmp_path):
    listed = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    declared = subprocess.run(["make", "-pn"], cwd=ROOT, capture_output=True, text=True).stdout
    phony = next(line for line in declared.splitlines() if line.startswith(".PHONY:")).split()[1:]
    for target in phony:
        assert f"make {target} " in listed, f"`make help` does not list {target}"


@pytest.mark.parametrize(("body", "expect_ok"), [("assert 1 == 2", False), ("assert 1 == 1", True)])
def test_ci_entry_point_fails_exactly_when_a_test_fails(tmp_path, body, expect_ok):
    probe = tmp_path / "test_probe.py"
    probe.write_text(f"def test_probe():\n    {body}\n")
    # Without the outer make's MAKEFLAGS: `make test PYTEST_ARGS=...` would override the probe's and recurse.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(PYTEST_ARGS=f"{probe} -p no:cacheprovider", PYTEST_JOBS="0")  # one test: no workers needed
    result = subprocess.run(["bash", ".ci/run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert (result.returncode == 0) == expect_ok, result.stdout[-2000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout if expect_ok else "1 failed" in result.stdout
