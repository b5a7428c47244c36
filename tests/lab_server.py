"""Starting `make lab` in a folder for a test, and reading what the server answers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    """(status, body) of a GET, or (0, '') if nothing answers yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


@contextmanager
def make_lab(folder: Path, tmp_path: Path, **env: str):
    """`make lab` in `folder` on a free port, stopped (with its whole process group) afterwards."""
    port = free_port()
    args = (f"--no-browser --port={port} --ServerApp.token=course-test "
            "--ServerApp.ip=127.0.0.1")
    log = open(tmp_path / "lab.log", "w")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), **env)
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=folder, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}", tmp_path / "lab.log", proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def lab_page(base: str, log: Path, proc: subprocess.Popen, seconds: int = 120) -> str:
    """The /lab page once the server answers it; fails with the server's log if it never does."""
    status, body = 0, ""
    deadline = time.time() + seconds
    while time.time() < deadline and status != 200 and proc.poll() is None:
        status, body = fetch(f"{base}/lab?token=course-test")
        time.sleep(1)
    assert status == 200, log.read_text()
    return body


def federated_extensions(body: str) -> tuple[list[str], list[str]]:
    """(enabled federated extensions, disabled extensions) from a /lab page."""
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', body, re.S).group(1))
    return [ext["name"] for ext in config["federated_extensions"]], config.get("disabledExtensions", [])
