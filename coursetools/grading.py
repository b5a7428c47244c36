"""nbgrader's own Python API in this process (release uses it), with all its output in a log file.

The command line spends seconds importing nbgrader before it does anything; the API pays that once per process.
Autograding uses the command line instead, one process per submission (coursetools/parallel.py), so that graders
run side by side and a crash costs one submission.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from coursetools.nbgrader_cli import nbgrader_env


@contextlib.contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Send this process's stdout and stderr, and those of the processes it starts (the kernel), to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with open(log, "w") as out:
        for fd in saved:
            os.dup2(out.fileno(), fd)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)


def course_api(root: Path, overrides: dict | None = None):
    """nbgrader's API with the course's nbgrader_config.py loaded (the API does not read it by itself), then `overrides`."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config, PyFileConfigLoader

    os.environ["PATH"] = nbgrader_env()["PATH"]  # nbgrader runs `alembic` when it creates the gradebook
    warnings.filterwarnings("ignore", message="Object of type")  # nbgrader 0.9.6's own SQLAlchemy use
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.merge(Config(overrides or {}))
    return NbGraderAPI(config=config)


def logged(log: Path, step: Callable[[], dict]) -> bool:
    """Run one nbgrader API step with all its output, and the log it captured, in `log`; True if it succeeded."""
    with output_to(log):
        result = step()
    with open(log, "a") as out:
        out.write(result.get("log", "") + result.get("error", ""))
    return bool(result["success"])
