"""The README's two commands: `make lab` serves the course, `make test` fails when a test fails."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import ROOT


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


@pytest.fixture
def lab(tmp_path):
    """`make lab` on a free port, stopped (with its whole process group) afterwards."""
    port = free_port()
    args = (f"--no-browser --port={port} --ServerApp.token=course-test "
            "--ServerApp.ip=127.0.0.1")
    log = open(tmp_path / "lab.log", "w")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path))
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    yield f"http://127.0.0.1:{port}", tmp_path / "lab.log", proc
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def test_make_lab_serves_jupyterlab_with_nbgrader(lab):
    base, log, proc = lab
    status, body = 0, ""
    deadline = time.time() + 120
    while time.time() < deadline and status != 200 and proc.poll() is None:
        status, body = fetch(f"{base}/lab?token=course-test")
        time.sleep(1)
    assert status == 200, log.read_text()
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', body, re.S).group(1))
    extensions = [ext["name"] for ext in config["federated_extensions"]]
    assert "@jupyter/nbgrader" in extensions
    disabled = config.get("disabledExtensions", [])
    assert not any(name.startswith("@jupyter/nbgrader") for name in disabled)


@pytest.mark.parametrize(("body", "expect_ok"), [("assert 1 == 2", False), ("assert 1 == 1", True)])
def test_ci_entry_point_fails_exactly_when_a_test_fails(tmp_path, body, expect_ok):
    probe = tmp_path / "test_probe.py"
    probe.write_text(f"def test_probe():\n    {body}\n")
    env = dict(os.environ, PYTEST_ARGS=f"{probe} -p no:cacheprovider")
    result = subprocess.run(["bash", ".ci/run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert (result.returncode == 0) == expect_ok, result.stdout[-2000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout if expect_ok else "1 failed" in result.stdout
