"""The grader's own checks, outside the student's kernel (coursetools/trusted.py): what a graded cell exports, how a
missing, malformed or wrong export is judged, and that every graded cell of every lesson has its export and check.
(That the checks pass on each solution and fail on wrong exports is in test_lesson_notebooks.py.)"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

import helpers
from conftest import ROOT
from coursetools.sandbox import private_copy, read_below
from coursetools.course_secrets import ensure_secret, load_secret, secret_path
from coursetools.grader_runs import hand_in
from coursetools.trusted import CHECKS, is_test_cell, judge, lesson_checks, load, verdict
from helpers.exports import FOLDER, INPUTS
from notebook_tools import ASSIGNMENTS, grade_id, source_path
from tiny_course import VERIFY


class Yes:
    """Equal to everything: such an object can only be exported pickled, and the grader never unpickles."""

    def __eq__(self, other):
        return True


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """The tiny lesson's checks, and a notebook folder to export into as nbgrader's autograde would."""
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / CHECKS).write_text(VERIFY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    return lesson_checks(tmp_path / "tiny" / CHECKS), tmp_path / FOLDER


def test_a_right_export_passes_and_a_wrong_one_says_why(tiny):
    checks, folder = tiny
    helpers.export("check", answer=42)
    assert verdict(checks, "check", folder) is None
    helpers.export("check", answer=41)
    assert verdict(checks, "check", folder) == "answer should be 42, got 41"


def test_a_missing_malformed_or_linked_export_fails(tiny, tmp_path):
    checks, folder = tiny
    assert "exported nothing" in verdict(checks, "check", folder)
    helpers.export("check", answer=Yes())
    assert "malformed" in verdict(checks, "check", folder)
    helpers.export("check", other=42)
    assert verdict(checks, "check", folder) == "the cell exported no 'answer'"
    np.savez(tmp_path / "elsewhere.npz", answer=42)
    (folder / "check.npz").unlink()
    (folder / "check.npz").symlink_to(tmp_path / "elsewhere.npz")
    assert "exported nothing" in verdict(checks, "check", folder)
    assert "no check of its own" in verdict(checks, "other_cell", folder)


def test_exports_are_made_only_while_nbgrader_autogrades(tiny, monkeypatch):
    _, folder = tiny
    monkeypatch.delenv("NBGRADER_EXECUTION")
    helpers.export("check", answer=42)
    assert not folder.exists()


def test_only_a_plain_export_file_under_the_cap_is_read_back_from_the_sandbox(tmp_path):
    exports = tmp_path / "work" / FOLDER
    exports.mkdir(parents=True)
    np.savez(exports / "check.npz", answer=42)
    (exports / "link.npz").symlink_to("/etc/passwd")
    os.mkfifo(exports / "pipe.npz")  # opened without blocking, then refused
    (tmp_path / "elsewhere").mkdir()
    np.savez(tmp_path / "elsewhere" / "check.npz", answer=41)
    assert read_below(str(tmp_path), ["work", FOLDER, "check.npz"], 10_000) == (exports / "check.npz").read_bytes()
    assert read_below(str(tmp_path), ["work", FOLDER, "check.npz"], 100) is None, "over the cap"
    for name in ("link.npz", "pipe.npz", "missing.npz"):
        assert read_below(str(tmp_path), ["work", FOLDER, name], 10_000) is None, name
    shutil.rmtree(exports)
    exports.symlink_to(tmp_path / "elsewhere")  # the folder itself a link, to a file the grader could read
    assert read_below(str(tmp_path), ["work", FOLDER, "check.npz"], 10_000) is None


def test_the_kernels_copy_of_a_submission_holds_its_plain_files_alone(tmp_path):
    folder = tmp_path / "submission"
    (folder / "data").mkdir(parents=True)
    (folder / "tiny.ipynb").write_text("{}")
    (folder / "data" / "notes.txt").write_text("mine")
    (folder / "secret.json").symlink_to("/etc/shadow")
    (folder / "linked").symlink_to(tmp_path)
    os.mkfifo(folder / "pipe")
    (folder / FOLDER).mkdir()  # only the grader writes these
    skipped = private_copy(folder, tmp_path / "copy", os.getuid())
    assert sorted(skipped) == sorted(["secret.json", "linked", "pipe", FOLDER])
    kept = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*"))
    assert kept == ["data", "data/notes.txt", "tiny.ipynb"]


def test_an_export_that_would_inflate_past_the_cap_is_refused_from_its_header(tmp_path):
    np.savez_compressed(tmp_path / "zeros.npz", x=np.zeros(3_000_000))  # 24 MB of data in a few kB
    assert (tmp_path / "zeros.npz").stat().st_size < 100_000
    with pytest.raises(ValueError, match="more than 1 MB"):
        load(tmp_path / "zeros.npz", limit=2**20)
    assert load(tmp_path / "zeros.npz")["x"].shape == (3_000_000,)
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    with open(tmp_path / "x.npy", "wb") as out:  # a header that promises 32 TiB, and 8 bytes of data
        np.lib.format.write_array_header_1_0(out, {**header, "shape": (2**42,)})
        out.write(b"\0" * 8)
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.write(tmp_path / "x.npy", "x.npy")
    with pytest.raises(ValueError, match="more than"):
        load(tmp_path / "huge.npz")


def test_whatever_a_hostile_export_makes_numpy_raise_fails_that_cell_alone(tiny, tmp_path):
    checks, folder = tiny
    helpers.export("check", answer=42)
    assert verdict(checks, "check", folder) is None  # the honest export beside it
    (folder / "check.npz").write_bytes(b"PK\x03\x04" + b"\xff" * 64)  # a broken zip
    assert "malformed" in verdict(checks, "check", folder)
    helpers.export("check", answer=42)

    def check(got, world):  # a check meeting what it did not expect: numpy raises, and not an AssertionError
        raise MemoryError("Unable to allocate 32.0 TiB")

    assert "check failed on it (MemoryError)" in judge(SimpleNamespace(check=check), "check", folder, world=None).reason


def test_a_lesson_without_its_checks_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="verify.py is missing"):
        lesson_checks(tmp_path / "lesson" / CHECKS)


@pytest.mark.parametrize("lesson", ASSIGNMENTS)
def test_every_graded_cell_exports_for_its_own_check_and_has_one(lesson):
    checks = lesson_checks(ROOT / "solutions" / lesson / CHECKS)
    cells = [cell for cell in nbformat.read(source_path(lesson), as_version=4).cells if is_test_cell(cell)]
    for cell in cells:
        hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*)### END HIDDEN TESTS", cell.source, re.S)
        assert hidden and f'helpers.export("{grade_id(cell)}",' in hidden.group(1), \
            f"{grade_id(cell)} should export what it checked, in its hidden part"
        assert callable(getattr(checks, grade_id(cell), None)), f"{CHECKS} has no check for {grade_id(cell)}"
    extra = {name for name in vars(checks) if name.startswith("test_")} - {grade_id(cell) for cell in cells}
    assert not extra, f"{CHECKS} checks cells the lesson does not grade: {sorted(extra)}"


@pytest.mark.parametrize("lesson", ASSIGNMENTS)
def test_no_hidden_check_enters_the_students_kernel(lesson):
    """A hidden part only exports what the student's code produced: no assert, no raise, no expected value and no
    print, all of which would run (and could be read) in the student's kernel; the checks are in verify.py."""
    for cell in nbformat.read(source_path(lesson), as_version=4).cells:
        hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*)### END HIDDEN TESTS", cell.source, re.S)
        if hidden:
            for word in ("assert", "raise", "print(", "expected", "reference", "score_challenge"):
                assert word not in hidden.group(1), f"{grade_id(cell)}'s hidden part has {word!r}: move it to {CHECKS}"


def test_lesson3_checks_use_the_reference_and_seed_of_the_notebook_and_its_hidden_world_is_nowhere_in_it():
    checks = lesson_checks(ROOT / "solutions" / "lesson3_challenge" / CHECKS)
    source = "\n".join(cell.source for cell in nbformat.read(source_path("lesson3_challenge"), as_version=4).cells)
    assert f"SEED = {checks.SEED}" in source
    assert f"seed=SEED, reference_recall={checks.REFERENCE}" in source
    assert "5417" not in source and "HIDDEN_SEED" not in vars(checks), "the hidden world's seed is the course's secret"


def test_a_lessons_secret_is_made_once_kept_private_and_never_replaced(tmp_path):
    made = []

    class Checks:  # a lesson whose checks need a secret
        @staticmethod
        def make_secret():
            made.append(1)
            return {"seed": len(made)}

    assert ensure_secret(tmp_path, "lesson", Checks) == {"seed": 1}
    assert ensure_secret(tmp_path, "lesson", Checks) == {"seed": 1} and len(made) == 1
    assert load_secret(tmp_path, "lesson") == {"seed": 1}
    assert secret_path(tmp_path, "lesson").stat().st_mode & 0o077 == 0, "only the instructor may read it"
    assert ensure_secret(tmp_path, "other", object()) is None and not secret_path(tmp_path, "other").exists()


def test_data_handed_in_never_follows_a_link_the_kernel_left(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    kernel_folder = tmp_path / "kernel"
    kernel_folder.mkdir()
    (kernel_folder / INPUTS).symlink_to(victim)  # left by student code, pointing where the grader may write
    path = hand_in(kernel_folder, "data", {"x": np.arange(3)})
    assert not list(victim.iterdir()) and not (kernel_folder / INPUTS).is_symlink()
    assert np.array_equal(load(path)["x"], np.arange(3)) and path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("lesson, cell, shared", [
    ("lesson1_basics", "test_gap8_training_rmse", {"RMSE_TOLERANCE": "GMF_NEAR_BASELINE"}),
    ("lesson2_beyond", "test_gap5_gmf_rmse", {"NEAR_ORACLE": "GMF_NEAR_ORACLE", "BELOW_MEAN": "GMF_BELOW_MEAN"}),
])
def test_a_threshold_that_a_visible_check_shares_with_the_grader_has_one_home(lesson, cell, shared):
    """helpers/thresholds.py holds it: the visible check imports it from there and writes no number of its own,
    and verify.py's value is the same (docs/changing-a-lesson.md)."""
    import helpers.thresholds

    checks = lesson_checks(ROOT / "solutions" / lesson / CHECKS)
    source = next(c.source for c in nbformat.read(source_path(lesson), as_version=4).cells if grade_id(c) == cell)
    visible = source.split("### BEGIN HIDDEN TESTS")[0]
    for name, home in shared.items():
        value = getattr(helpers.thresholds, home)
        assert getattr(checks, name) == value, f"{CHECKS}'s {name} is not helpers.thresholds.{home}"
        assert f"{home}" in visible and "from helpers.thresholds import" in visible, f"{cell} should import {home}"
        assert not re.search(rf"(?<![\w.]){re.escape(repr(value))}(?![\w])", visible.replace(f"# {value}", "")), \
            f"{cell}'s visible check writes {value} itself: read helpers.thresholds.{home}"
