"""`make autograde JOBS=N` on the tiny course, with the real nbgrader and the SQLite gradebook: many graders side
by side grade every submission once, with the right scores; a grader killed mid-run, or Ctrl-C on the whole run,
loses nothing, and the next run grades what is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from nbgrader.api import Grade, Gradebook

from conftest import ROOT
from coursetools import sandbox
from notebook_tools import coursetools
from tiny_course import make_tiny_course, submit

RIGHT, WRONG = "answer = 42", "answer = 41"


def sleeps(seconds: int) -> str:
    """An answer that is right after `seconds`: a submission the test can catch mid-grading. (A grading kernel sees
    nothing of the test's files, so the test resubmits a quick answer instead when it must not wait.)"""
    return f"import time\ntime.sleep({seconds})\nanswer = 42"


def gradebook_scores(root: Path) -> dict[str, float]:
    """student -> score of their lesson "tiny" submission, and a check that each has exactly one grade row."""
    with Gradebook(os.environ.get("NBGRADER_DB_URL") or f"sqlite:///{root / 'gradebook.db'}") as gb:
        rows = gb.db.query(Grade).count()
        scores = {s.student.id: s.score for s in gb.find_assignment("tiny").submissions}
    assert rows == len(scores), f"{rows} grade rows for {len(scores)} submissions (one graded cell each)"
    return scores


def start_autograde(root: Path, *args: str) -> subprocess.Popen:
    """`python -m coursetools autograde ARGS` in its own session (so that a Ctrl-C can reach all of it)."""
    return subprocess.Popen([sys.executable, "-m", "coursetools", "--root", str(root), "autograde", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def grader_of(run: subprocess.Popen, student: str, timeout: float = 60) -> psutil.Process:
    """The nbgrader process that grades a student whose id holds `student`, once its kernel runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in psutil.Process(run.pid).children(recursive=True):
            try:
                command = child.cmdline()
                # its kernel itself, not only the sandbox starting it: bubblewrap takes a moment to arm its
                # --die-with-parent, and a grader killed before that leaves the sandbox behind
                if "autograde" in command and any(student in part for part in command) and any(
                        p.name().startswith("python") and "ipykernel" in " ".join(p.cmdline())
                        for p in child.children(recursive=True)):
                    return child
            except psutil.Error:
                continue
        time.sleep(0.1)
    raise AssertionError(f"no grading process for {student} with a running kernel within {timeout} s")


def sandboxes_of(folder: Path, wait: float = 10) -> list[psutil.Process]:
    """The sandboxes (bwrap processes) still running a kernel in `folder` after up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for process in psutil.process_iter():
            try:
                if process.name() == "bwrap" and str(folder) in " ".join(process.cmdline()):
                    found.append(process)
            except psutil.Error:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def end_session(run: subprocess.Popen) -> None:
    """Kill whatever the run left behind in its session (a killed grader's kernel, say)."""
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and os.getsid(process.pid) == run.pid:
                process.kill()
        except (psutil.Error, ProcessLookupError):
            pass


@pytest.fixture(params=["sqlite", "postgresql"])
def course_on(request, tmp_path, monkeypatch) -> Path:
    """The released tiny course with its gradebook in SQLite (the default) or in a fresh PostgreSQL database,
    which NBGRADER_DB_URL points every command at."""
    if request.param == "sqlite":
        return request.getfixturevalue("released_course")
    from postgres_server import create_database

    base_url, bin_dir = request.getfixturevalue("postgres")
    monkeypatch.setenv("NBGRADER_DB_URL", create_database(base_url, bin_dir, f"gradebook_{tmp_path.name[-20:]}"))
    (tmp_path / "course").mkdir()
    root = make_tiny_course(tmp_path / "course")
    coursetools(root, "release")
    assert not (root / "gradebook.db").exists(), "the gradebook should be in PostgreSQL"
    return root


def test_graders_side_by_side_grade_each_submission_once_with_the_right_score(course_on):
    course = course_on
    expected = {f"s{i:02d}": 0.0 if i % 4 == 0 else 1.0 for i in range(8)}  # two rounds of 4 graders
    for student, points in expected.items():
        submit(course, student, "tiny", RIGHT if points else WRONG)
    result = coursetools(course, "autograde", "--jobs", "4")
    assert "8 to grade" in result.stdout and "4 at a time" in result.stdout
    assert "graded 8, failed 0" in result.stdout, result.stdout
    assert gradebook_scores(course) == expected
    logs = "".join(p.read_text() for p in (course / "logs" / "autograde" / "tiny").glob("*.log"))
    assert "database is locked" not in logs and "Address already in use" not in logs
    assert "8/8" in result.stderr, "the progress bar counts to the end"
    assert "0 to grade, 8 unchanged" in coursetools(course, "autograde", "--jobs", "4").stdout


def test_a_grader_killed_midway_is_reported_and_graded_by_the_next_run(released_course):
    course = released_course
    for student in ("ann", "ben", "cat"):
        submit(course, student, "tiny", RIGHT)
    submit(course, "victim", "tiny", sleeps(300))
    started = time.time() - 1
    run = start_autograde(course, "--jobs", "2")
    try:
        victim = grader_of(run, "victim")
        victim.send_signal(signal.SIGKILL)
        out, err = run.communicate(timeout=300)
        assert not sandboxes_of(course / "autograded" / "victim"), "the killed grader's sandbox lives on"
    finally:
        end_session(run)
    assert run.returncode == 1, out + err
    assert "victim/tiny: failed (killed by SIGKILL)" in out and "graded 3, failed 1" in out, out
    submit(course, "victim", "tiny", RIGHT)
    again = coursetools(course, "autograde", "--jobs", "2")
    assert "1 to grade, 3 unchanged" in again.stdout and "victim/tiny (" in again.stdout, again.stdout
    left = [folder for folder in Path(tempfile.gettempdir()).glob(f"{sandbox.PRIVATE}*")  # made by this test's run
            if folder.stat().st_mtime >= started and any("time.sleep(300)" in copy.read_text()
                                                         for copy in folder.rglob("*.ipynb"))]
    assert not left, f"the killed grader's kernel folder (a copy of the submission) is left behind: {left}"
    assert gradebook_scores(course) == {"ann": 1.0, "ben": 1.0, "cat": 1.0, "victim": 1.0}


def test_ctrl_c_stops_the_run_and_a_rerun_grades_only_what_is_missing(released_course):
    course = released_course
    for student in ("ann", "ben"):
        submit(course, student, "tiny", RIGHT)
    for student in ("slow1", "slow2", "slow3"):
        submit(course, student, "tiny", sleeps(300))
    run = start_autograde(course, "--jobs", "2")
    record = course / "autograded" / ".submission-hashes.json"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until the two quick ones are graded
            done = json.loads(record.read_text()) if record.exists() else {}
            if sum(value != "pending" for value in done.values()) == 2:
                break
            time.sleep(0.2)
        grader_of(run, "slow")  # and a slow one is being graded
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole foreground group
        out, err = run.communicate(timeout=120)
    finally:
        end_session(run)
    assert run.returncode == 130 and "interrupted: graded 2" in out, out + err
    assert "Traceback" not in err
    for student in ("slow1", "slow2", "slow3"):
        submit(course, student, "tiny", RIGHT)
    again = coursetools(course, "autograde", "--jobs", "2")
    assert "3 to grade, 2 unchanged" in again.stdout, again.stdout
    assert gradebook_scores(course) == {"ann": 1.0, "ben": 1.0, "slow1": 1.0, "slow2": 1.0, "slow3": 1.0}


def graders_of(student: str) -> list[psutil.Process]:
    """Every nbgrader process on this machine that grades `student`."""
    found = []
    for process in psutil.process_iter():
        try:
            command = process.cmdline()
            if "autograde" in command and student in command and process.children():
                found.append(process)
        except psutil.Error:
            continue
    return found


def kill_what_runs_in(folder: Path) -> None:
    """Kill the processes whose working folder is below `folder` (a killed grader's orphaned kernel, say)."""
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and Path(process.cwd()).is_relative_to(folder):
                process.kill()
        except (psutil.Error, ValueError):
            pass


def test_a_dask_cluster_grades_alike_and_retries_the_work_of_a_worker_that_died(released_course, tmp_path):
    from distributed import LocalCluster

    course = released_course
    for student in ("ann", "ben", "cat"):
        submit(course, student, "tiny", RIGHT)
    submit(course, "victim", "tiny", sleeps(10))  # killed within a second or two of starting; its retry waits it out
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        run = start_autograde(course, "--scheduler", cluster.scheduler_address)
        try:
            deadline = time.monotonic() + 120
            while not (first := graders_of("victim")) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert first, "the cluster never started grading victim"
            first[0].parent().kill()  # the Dask worker process running that grader dies mid-run
            while not [p for p in graders_of("victim") if p.pid != first[0].pid]:  # retried on the other worker
                assert time.monotonic() < deadline, "the victim's grading was not retried on another worker"
                time.sleep(0.2)
            out, err = run.communicate(timeout=300)
        finally:
            end_session(run)
            kill_what_runs_in(course)
    assert run.returncode == 0 and "on the Dask cluster at tcp://127.0.0.1" in out and "graded 4, failed 0" in out, \
        out + err[-2000:]
    assert not psutil.pid_exists(first[0].pid) or first[0].status() == psutil.STATUS_ZOMBIE, \
        "the killed worker's grader should have died with it"
    assert gradebook_scores(course) == {"ann": 1.0, "ben": 1.0, "cat": 1.0, "victim": 1.0}


def test_a_scheduler_that_does_not_answer_is_named(released_course):
    submit(released_course, "ann", "tiny", RIGHT)
    result = coursetools(released_course, "autograde", "--scheduler", "tcp://127.0.0.1:9", check=False)
    assert result.returncode != 0 and "SCHEDULER='tcp://127.0.0.1:9': no Dask scheduler answers there" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_kernel_that_dies_costs_the_cells_it_lost_and_the_submission_keeps_its_grade_row(released_course):
    course = released_course
    submit(course, "dies", "tiny", "import os\nos._exit(1)")  # the kernel dies in the gap, before the check runs
    submit(course, "fine", "tiny", RIGHT)
    result = coursetools(course, "autograde", "--jobs", "2")
    assert "graded 2, failed 0" in result.stdout and "dies/tiny (new): 0/1" in result.stdout, result.stdout
    assert gradebook_scores(course) == {"dies": 0.0, "fine": 1.0}
    graded = (course / "autograded" / "dies" / "tiny" / "tiny.ipynb").read_text()
    assert "the kernel died while running this cell" in graded and "not run: the kernel died in an earlier cell" in graded
