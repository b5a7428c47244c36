"""Running the real nbgrader command line in a course root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# `python -m nbgrader`, without the 2.3 s import of rfc3987-syntax (see coursetools/__init__.py). On Linux it also
# asks to be killed when the process that started it dies (prctl PR_SET_PDEATHSIG = 1, SIGKILL = 9), so that a grader
# whose Dask worker or run was killed does not grade on, unseen, beside its retry.
NBGRADER_MAIN = ("import ctypes, sys; sys.modules['rfc3987_syntax'] = None\n"
                 "try:\n    ctypes.CDLL(None).prctl(1, 9)\nexcept (OSError, AttributeError):\n    pass\n"
                 "from nbgrader.apps.nbgraderapp import main; main()")


def assignments(root: Path) -> list[str]:
    """Names of the assignments in solutions/ (one folder each)."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))


def chosen(root: Path, lessons: list[str] | None) -> list[str]:
    """`lessons` (default: every lesson of the course), refusing a name the course does not have."""
    known = assignments(root)
    unknown = [name for name in lessons or [] if name not in known]
    if unknown:
        raise KeyError(f"{', '.join(unknown)}: not a lesson of this course (the lessons are {', '.join(known)})")
    return lessons or known


def nbgrader_env() -> dict[str, str]:
    """This environment with the venv's bin (nbgrader shells out to alembic) first on PATH, and these tools on
    PYTHONPATH (the course's nbgrader_config.py imports the grading sandbox from them)."""
    tools = str(Path(__file__).resolve().parent.parent)
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                PYTHONPATH=os.pathsep.join(filter(None, [tools, os.environ.get("PYTHONPATH")])),
                # nbgrader 0.9.6's own SQLAlchemy usage warns on every submission; nothing to act on.
                PYTHONWARNINGS="ignore:Object of type")


def nbgrader(root: Path, *args: str, log: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """Run one nbgrader command in `root`, with `env` added to its environment; its output goes to `log` if given,
    else to this terminal."""
    command = [sys.executable, "-c", NBGRADER_MAIN, *args, "--log-level=WARN"]
    if log is None:
        return subprocess.run(command, cwd=root, env=nbgrader_env() | env, check=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        return subprocess.run(command, cwd=root, env=nbgrader_env() | env, stdout=out, stderr=subprocess.STDOUT)


def gradebook_url(root: Path) -> str:
    """The gradebook's database URL, as the course's nbgrader_config.py sets it."""
    from traitlets.config import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config().CourseDirectory.db_url


def released(root: Path) -> set[str]:
    """Names of the assignments registered in the gradebook (by `make release`)."""
    from nbgrader.api import Gradebook

    url = gradebook_url(root)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///").split("?")[0]).exists():
        return set()  # no gradebook yet; opening one would create it
    with Gradebook(url) as gradebook:
        return {a.name for a in gradebook.assignments}
