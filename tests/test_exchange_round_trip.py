"""A JupyterHub class through nbgrader's exchange, with the real nbgrader and a private exchange folder: the lesson
released, fetched by two students, submitted (one of them twice), collected, autograded, and the feedback returned and
fetched back.

On a hub each student is a user of their own; here they all run as this test's user, so the students' nbgrader is
told who it is as a hub's single-user container tells it: its user is "jovyan" and JUPYTERHUB_USER names the
student (nbgrader.utils.get_username reads it so). Everything else, the exchange included, is nbgrader's own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from coursetools.nbgrader_cli import NBGRADER_MAIN, nbgrader_env
from notebook_tools import coursetools

AS_HUB_USER = "import nbgrader.utils as utils; utils.get_osusername = lambda: 'jovyan'\n" + NBGRADER_MAIN


def run(where: Path, exchange: Path, *args: str, student: str | None = None) -> str:
    """One nbgrader command in `where`, as the instructor or as `student`, on the private exchange."""
    code = AS_HUB_USER if student else NBGRADER_MAIN
    env = nbgrader_env() | {"NBGRADER_EXCHANGE": str(exchange), "JUPYTERHUB_USER": student or ""}
    if student:  # each has a home of their own on a hub, where nbgrader keeps the student's submissions' cache
        env |= {"HOME": str(where), "JUPYTER_DATA_DIR": str(where / ".local/share/jupyter")}
    course = ["--course=recsys-course", f"--Exchange.root={exchange}"] if student else []
    result = subprocess.run([sys.executable, "-c", code, *args, *course], cwd=where, env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def answer(home: Path, text: str) -> None:
    """Fill in the fetched notebook's gap, as the student would in JupyterLab."""
    path = home / "tiny" / "tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = text
    nbformat.write(nb, path)


def test_release_fetch_submit_collect_grade_and_feedback_through_the_exchange(released_course, tmp_path, monkeypatch):
    root, exchange = released_course, tmp_path / "exchange"
    exchange.mkdir()
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(exchange))
    run(root, exchange, "release_assignment", "tiny")
    homes = {name: tmp_path / name for name in ("alice", "bob")}
    for name, home in homes.items():
        home.mkdir()
        run(home, exchange, "fetch_assignment", "tiny", student=name)
    assert "tiny" in run(homes["bob"], exchange, "list", student="bob")  # what the Assignments tab shows
    answer(homes["alice"], "answer = 42")
    run(homes["alice"], exchange, "submit", "tiny", student="alice")
    answer(homes["bob"], "answer = 41")
    run(homes["bob"], exchange, "submit", "tiny", student="bob")
    answer(homes["bob"], "answer = 42")  # bob fixes it and submits again: the newer submission is graded
    run(homes["bob"], exchange, "submit", "tiny", student="bob")

    report = coursetools(root, "collect", "--lesson", "tiny").stdout
    assert "tiny: collected 2 (2 new" in report, report
    assert (root / "submitted/bob/tiny/timestamp.txt").is_file()
    graded = coursetools(root, "autograde").stdout
    assert "alice/tiny (new): 1/1" in graded and "bob/tiny (new): 1/1" in graded, graded
    coursetools(root, "feedback")
    run(root, exchange, "release_feedback", "tiny")
    for name, home in homes.items():
        run(home, exchange, "fetch_feedback", "tiny", student=name)
        [page] = (home / "tiny" / "feedback").glob("*/tiny.html")  # bob's first submission was not graded
        text = page.read_text()
        assert f"Feedback for {name} on tiny (Score: 1.0 / 1.0)" in text
