"""Grading many submissions at once: each one the real `nbgrader autograde` in its own process, run N at a time on
this machine, or by the workers of a Dask cluster that share the course folder."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import as_completed as local_as_completed
from contextlib import contextmanager
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


def grade_in_own_process(root: str, assignment: str, student: str, log: str, sandbox: str = "on") -> Outcome:
    """`nbgrader autograde ASSIGNMENT --student STUDENT --force` in its own process in `root`, its output in `log`,
    its kernel in the grading sandbox unless `sandbox` is "off"."""
    start = time.perf_counter()
    result = nbgrader(Path(root), "autograde", assignment, "--student", student, "--force", log=Path(log),
                      GRADING_SANDBOX=sandbox)
    ok = result.returncode == 0
    return Outcome(assignment, student, ok, "" if ok else failure_reason(result.returncode, Path(log)),
                   time.perf_counter() - start)


@contextmanager
def local_pool(jobs: int) -> Iterator[tuple[Callable, Callable]]:
    """(submit, as_completed) that run `jobs` grading processes at a time on this machine (a thread waits on each)."""
    if jobs < 1:
        raise ValueError(f"JOBS must be 1 or more, got {jobs}")
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grader") as pool:
        yield pool.submit, local_as_completed


@contextmanager
def dask_pool(scheduler: str) -> Iterator[tuple[Callable, Callable]]:
    """(submit, as_completed) that send each grading to the Dask cluster whose scheduler is at `scheduler`."""
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout="10s")
    except OSError as error:
        raise ValueError(f"SCHEDULER={scheduler!r}: no Dask scheduler answers there ({error}); start one with "
                         "`dask scheduler` and workers with `dask worker SCHEDULER`") from None
    with client:  # pure=False: grading the same submission again is new work, not a cached result
        yield (lambda fn, *args: client.submit(fn, *args, pure=False)), as_completed


def run_all(pool: tuple[Callable, Callable], tasks: list[tuple[str, str, str, str, str]]) -> Iterator[Outcome]:
    """Submit one grading per task (root, assignment, student, log, sandbox) with `pool`'s submit; yield each Outcome as it
    finishes. A task whose worker died, on a cluster, is an Outcome with that reason."""
    submit, as_completed = pool
    futures = {submit(grade_in_own_process, *task): task for task in tasks}
    try:
        for future in as_completed(list(futures)):
            try:
                yield future.result()
            except Exception as error:  # noqa: BLE001  (Dask's KilledWorker, a lost connection: say which and go on)
                _, assignment, student, *_ = futures[future]
                yield Outcome(assignment, student, False, f"worker failed: {type(error).__name__}", 0.0)
    finally:  # interrupted: what has not started yet never will
        for future in futures:
            future.cancel()
