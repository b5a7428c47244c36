"""Shared paths and helpers for the course's tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["lab_browser"]  # its hook keeps each test's report on the item, for the browser tests' pictures
if str(ROOT) not in sys.path:  # the instructor's tools (coursetools) live in the course root
    sys.path.insert(0, str(ROOT))


def run_python(code: str, env_drop: tuple[str, ...] = ("TF_USE_LEGACY_KERAS",)) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter of this venv, without the given env variables."""
    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="session", autouse=True)
def release_checks_static():
    """make release checks what reading each lesson shows, and does not run its solution and blank notebook
    (coursetools/release_checks.py): the suite runs every solution through its checks in test_lesson_notebooks.py,
    and tests/test_release_checks.py proves the run on the tiny course, in a cache folder of its own."""
    os.environ["RELEASE_CHECKS"] = "static"
    yield


@pytest.fixture(scope="session")
def film_data():
    """The default course data set (ratings, items)."""
    import helpers

    return helpers.make_film_data()


@pytest.fixture(scope="module")
def released_template(tmp_path_factory) -> Path:
    """The tiny course (tests/tiny_course.py) after `make release`, made once per test file."""
    from notebook_tools import coursetools
    from tiny_course import make_tiny_course

    root = make_tiny_course(tmp_path_factory.mktemp("template"))
    coursetools(root, "release")
    return root


@pytest.fixture
def released_course(released_template, tmp_path) -> Path:
    """A fresh copy of the released tiny course (gradebook included)."""
    return Path(shutil.copytree(released_template, tmp_path / "course"))


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server for this test session: (base URL, its binaries). Skipped where PostgreSQL is not
    installed, except under CI (CI is set), where that is a failure."""
    from postgres_server import INSTALL, binaries, private_server

    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL's server; .ci/run installs it with: {INSTALL}")
        pytest.skip(f"PostgreSQL's server is not installed; install it with: {INSTALL}")
    with private_server() as server:
        yield server


# The slowest test files, slowest first (seconds each took in a fresh-clone `make test`, December 2026: 350, 330,
# 260, 260, 240, 160, 155, 135, 135, 105, 90, 75). `make test` hands whole files to its two pytest-xdist workers in
# collection order (--dist loadfile --no-loadscope-reorder), each its next file when it is nearly done, so starting
# with these leaves the quick files for the end, where they let the two workers finish together.
SLOW_FIRST = ("test_browser.py", "test_lesson_notebooks.py", "test_grading_pipeline.py", "test_parallel_autograde.py",
              "test_challenge_grading.py", "test_platform_round_trip.py", "test_instructor_path.py",
              "test_lesson1_wrong_answers.py", "test_sandbox.py", "test_lesson2_wrong_answers.py", "test_keras2.py",
              "test_exchange_round_trip.py", "test_changing_a_lesson.py", "test_release_checks.py",
              "test_hostile_pages.py", "test_impossible_grades.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slowest files first (a stable sort: the order within a file is kept)."""
    items.sort(key=lambda item: SLOW_FIRST.index(item.path.name) if item.path.name in SLOW_FIRST else len(SLOW_FIRST))
