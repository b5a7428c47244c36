"""The browser tests' cost: their wall time, and the peak memory of browser, server and kernels together.

    python scripts/benchmark_browser.py [--suite]

Runs tests/test_browser.py in one pytest process and samples, every 0.2 s, the proportional set size (PSS) of that
process and everything it started (chromium, the JupyterLab server, its kernels). The time is also given as a ratio to the floor
(a kernel that imports TensorFlow) measured in the same run. With --suite it then also runs the whole suite as
`make test` does (two workers), with and without the browser tests, and prints what they add (about 40 minutes).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time

import psutil

from benchmark_floor import ROOT, figure, floor_once


def tree_pss(root: psutil.Process) -> int:
    """Proportional set size (resident bytes, each shared page split among its sharers) of `root` and all its
    descendants now."""
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_full_info().pss
        except psutil.Error:
            pass
    return total


def suite(*extra: str) -> tuple[float, str]:
    """The whole suite on two workers, as `make test` runs it, with `extra` arguments: (seconds, pytest's last line)."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile", *extra], cwd=ROOT,
                         capture_output=True, text=True)
    return time.perf_counter() - start, run.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="store_true", help="also time the whole suite with and without them")
    args = parser.parse_args()
    floor = floor_once()
    print(figure("floor: kernel + import tensorflow, tfrs", floor, floor))
    start = time.perf_counter()
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/test_browser.py"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample() -> None:
        tree = psutil.Process(run.pid)
        while run.poll() is None:
            peak[0] = max(peak[0], tree_pss(tree))
            time.sleep(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = run.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    print(out.strip().splitlines()[-1])
    print(figure("tests/test_browser.py, one pytest process", seconds, floor))
    print(f"peak memory (PSS) of pytest, chromium, the server and its kernels together: {peak[0] / 2**20:,.0f} MB")
    if args.suite:
        with_them, line = suite()
        print(line)
        print(figure("the whole suite, two workers", with_them, floor))
        without, line = suite("--ignore=tests/test_browser.py")
        print(line)
        print(figure("the whole suite without tests/test_browser.py", without, floor))
        print(figure("what the browser tests add to the suite", with_them - without, floor))


if __name__ == "__main__":
    main()
