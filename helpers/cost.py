"""What a step costs: wall-clock seconds and peak memory above the start, TensorFlow's included."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil


@dataclass
class Cost:
    """Seconds and peak resident memory (MB above the start) of a `with measure()` block."""

    seconds: float = 0.0
    peak_mb: float = 0.0


def _release_freed_memory() -> None:
    """Hand memory that was freed back to the system (glibc's malloc_trim), so the next peak is measured from a low start."""
    name = ctypes.util.find_library("c")
    if name:
        try:
            ctypes.CDLL(name).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc: the peak is then measured from where memory stands
            pass


@contextmanager
def measure(every: float = 0.005) -> Iterator[Cost]:
    """Time the block and sample the process's resident memory every `every` seconds to find its peak."""
    _release_freed_memory()
    process, cost, done = psutil.Process(), Cost(), threading.Event()
    start_rss = peak = process.memory_info().rss

    def sample() -> None:
        nonlocal peak
        while not done.wait(every):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        yield cost
    finally:
        cost.seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        cost.peak_mb = (max(peak, process.memory_info().rss) - start_rss) / 2**20
