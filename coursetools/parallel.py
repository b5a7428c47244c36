"""Grading many submissions at once: each one the real `nbgrader autograde` in its own process, run N at a time."""

from __future__ import annotations

import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import as_completed as local_as_completed
from dataclasses import dataclass
from pathlib import Path

from coursetools.nbgrader_cli import nbgrader

# What a failed grading left in its log -> the reason the summary gives.
REASONS = (("DeadKernelError", "kernel died"), ("Kernel died", "kernel died"),
           ("CellTimeoutError", "timeout"), ("TimeoutError", "timeout"))


@dataclass(frozen=True)
class Outcome:
    """How grading one submission went: `reason` says why it failed ("" if it did not)."""

    assignment: str
    student: str
    ok: bool
    reason: str
    seconds: float


def failure_reason(returncode: int, log: Path) -> str:
    """Why a grading process that exited with `returncode` failed, from the code and its log."""
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    text = log.read_text(errors="replace") if log.exists() else ""
    return next((reason for marker, reason in REASONS if marker in text), "nbgrader error")


def grade_in_own_process(root: str, assignment: str, student: str, log: str) -> Outcome:
    """`nbgrader autograde ASSIGNMENT --student STUDENT --force` in its own process in `root`, its output in `log`."""
    start = time.perf_counter()
    result = nbgrader(Path(root), "autograde", assignment, "--student", student, "--force", log=Path(log))
    ok = result.returncode == 0
    return Outcome(assignment, student, ok, "" if ok else failure_reason(result.returncode, Path(log)),
                   time.perf_counter() - start)


def local_pool(jobs: int) -> ThreadPoolExecutor:
    """A pool that runs `jobs` grading processes at a time on this machine (each thread waits on one process)."""
    if jobs < 1:
        raise ValueError(f"JOBS must be 1 or more, got {jobs}")
    return ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grader")


def run_all(pool, tasks: list[tuple[str, str, str, str]], as_completed=local_as_completed):
    """Submit one grading per task (root, assignment, student, log) to `pool`; yield each Outcome as it finishes."""
    futures: list[Future] = [pool.submit(grade_in_own_process, *task) for task in tasks]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:  # interrupted: what has not started yet never will
        for future in futures:
            future.cancel()
