"""Files beside a submitted notebook are the student's: a link, a device or a pipe in submitted/ is never followed by
grading (nbgrader's autograde would copy what a link points to, with the grader's rights); the submission that holds
one is refused and reported, beside an honest one that is graded as usual."""

from __future__ import annotations

import os
from pathlib import Path

from coursetools.submissions import Problem, Submission, find_submissions, not_plain
from notebook_tools import coursetools
from test_parallel_autograde import gradebook_scores
from tiny_course import submit


def test_a_link_a_pipe_or_a_linked_folder_is_named_and_plain_files_are_not(tmp_path):
    folder = tmp_path / "lesson"
    (folder / "data").mkdir(parents=True)
    (folder / "lesson.ipynb").write_text("{}")
    (folder / "data" / "notes.txt").write_text("mine")
    assert not_plain(folder) == []
    (folder / "seed.json").symlink_to("/proc/self/cwd/grading-secrets/lesson3_challenge.json")
    (folder / "data" / "up").symlink_to(tmp_path)
    os.mkfifo(folder / "pipe")
    assert not_plain(folder) == ["data/up", "pipe", "seed.json"]


def test_a_submission_with_a_link_is_refused_and_named_beside_an_honest_one(tmp_path):
    root = tmp_path / "course"
    for student in ("ann", "eve"):
        submit_plain(root, student)
    (root / "submitted" / "eve" / "tiny" / "timestamp.txt").symlink_to("/dev/zero")
    found, problems = find_submissions(root, ["tiny"], {"tiny"})
    assert [s.student for s in found] == ["ann"] and all(isinstance(s, Submission) for s in found)
    assert len(problems) == 1 and isinstance(problems[0], Problem)
    assert problems[0].where == "submitted/eve/tiny" and "timestamp.txt" in problems[0].why, problems[0]
    assert "not a plain file" in problems[0].why and "remove it" in problems[0].fix


def submit_plain(root: Path, student: str) -> None:
    """An empty notebook at submitted/<student>/tiny/tiny.ipynb, enough for find_submissions."""
    folder = root / "submitted" / student / "tiny"
    folder.mkdir(parents=True)
    (folder / "tiny.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')


def test_autograde_copies_no_file_a_link_points_to(released_course, tmp_path):
    root = released_course
    secret = tmp_path / "instructors-only.txt"
    secret.write_text("the instructor's secret")
    secret.chmod(0o600)
    submit(root, "ann", "tiny", "answer = 42")
    submit(root, "eve", "tiny", "answer = 42\nprint(open('notes.txt').read())")
    (root / "submitted" / "eve" / "tiny" / "notes.txt").symlink_to(secret)
    result = coursetools(root, "autograde", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "submitted/eve/tiny: not graded: notes.txt is not a plain file" in result.stdout, result.stdout
    assert gradebook_scores(root) == {"ann": 1.0}
    graded = [p for p in (root / "autograded").rglob("*") if p.is_file()]
    assert not any("instructor's secret" in p.read_text(errors="replace") for p in graded)
    assert not (root / "autograded" / "eve").exists()


def nest(folder: Path, depth: int) -> Path:
    """`depth` folders inside one another below `folder`, made one at a time; the innermost."""
    for _ in range(depth):
        folder = folder / "d"
        folder.mkdir(parents=True)
    return folder


def test_folders_nested_past_what_a_walk_survives_fail_only_their_owner(tmp_path):
    """Python 3.11's os.walk and os.fwalk recurse: 1,100 folders deep raised RecursionError, which failed make
    autograde (in submitted/), make collect (the exchange's inbound/) and nbgrader's zip_collect (a student's zip)
    for the whole class. Past 64 folders deep each is now that student's problem alone (70 here: deeper folders
    would outlast this test, since shutil.rmtree recurses too, and pytest's clean-up of old runs would fail)."""
    import io
    import zipfile

    from coursetools.archives import Budget, unpack_zip
    from coursetools.exchange_collect import survey

    root = tmp_path / "course"
    for student in ("ann", "eve"):
        submit_plain(root, student)
    nest(root / "submitted" / "eve" / "tiny", 70)
    found, problems = find_submissions(root, ["tiny"], {"tiny"})
    assert [s.student for s in found] == ["ann"] and "nested more than 64 deep" in problems[0].why, problems

    inbound = tmp_path / "inbound"
    for name in ("ann+tiny+2026-12-01 10:00:00.000000 UTC+abc", "eve+tiny+2026-12-01 10:00:00.000000 UTC+def"):
        (inbound / name).mkdir(parents=True)
        (inbound / name / "tiny.ipynb").write_text("{}")
    nest(inbound / "eve+tiny+2026-12-01 10:00:00.000000 UTC+def", 70)
    entries, refused = survey(inbound, "tiny")
    assert [e.claimed for e in entries] == ["ann"] and "nested more than 64 deep" in refused[0]["why"], refused

    deep = io.BytesIO()
    with zipfile.ZipFile(deep, "w") as archive:
        archive.writestr("/".join(["d"] * 1100) + "/x.txt", b"x")
        archive.writestr("notes.txt", b"mine")
    (tmp_path / "deep.zip").write_bytes(deep.getvalue())
    (tmp_path / "out").mkdir()
    left_out = unpack_zip(tmp_path / "deep.zip", tmp_path / "out", Budget(10**8, 100))
    assert len(left_out) == 1 and "nested more than 64 folders deep" in left_out[0]
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"
