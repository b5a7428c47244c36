"""Driving JupyterLab in Debian's chromium with Playwright, for the browser tests: a course copy with its own server,
private settings, and the clicks a student or an instructor makes."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT
from lab_server import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
INSTALL = "apt-get install -y --no-install-recommends chromium"
TOKEN = "course-browser-test"
# Every screenshot; a failing test adds one, and the server's log, in failed/. BROWSER_PICTURES moves them.
PICTURES = Path(os.environ.get("BROWSER_PICTURES") or ROOT / "tests" / "browser-pictures")
# Settings a test must not inherit from whoever runs it: no news toast, every cell in the page (screenshots and
# clicks land on the right cell).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
COURSE_PARTS = ("Makefile", "venv.mk", "requirements.txt", "pyproject.toml", "environment.yml", "nbgrader_config.py",
                "bundle", "notebooks", "solutions", "coursetools")


def course_copy(dest: Path) -> Path:
    """A copy of the course for `make lab` to serve, with the tests' own venv linked in and lesson 3's hidden world
    the tests' known one (release then need not measure its reference, a minute of training)."""
    from notebook_tools import give_the_known_world

    for name in COURSE_PARTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    give_the_known_world(dest)
    return dest


def api(base: str, path: str, method: str = "GET") -> object:
    """The server's REST answer to `path`, as JSON (None for an empty answer)."""
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@contextmanager
def lab_server(course: Path, private: Path):
    """`make lab` on `course`, as the Makefile configures it, on 127.0.0.1 at a free port with a token and private
    settings and runtime folders; yields (base URL, log path) and stops the server afterwards."""
    settings = private / "settings"
    for name, values in SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port = free_port()
    args = (f"--no-browser --port={port} --ServerApp.port_retries=0 --ServerApp.token={TOKEN} "
            "--ServerApp.ip=127.0.0.1 --LabApp.expose_app_in_browser=True")
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTER_RUNTIME_DIR=str(private / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(private / "workspaces"))
    log = private / "lab.log"
    with open(log, "w") as out:
        # -o: the linked venv is the one the tests run in; make must never reinstall it from the copy
        server = subprocess.Popen(["make", "-s", "-o", ".venv/.installed", "lab", f"LAB_ARGS={args}"], cwd=course,
                                  env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                api(base, "/api/status")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, f"JupyterLab did not start:\n{log.read_text()}"
                time.sleep(0.5)
        yield base, log
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except ProcessLookupError:  # it had stopped by itself
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (item.rep_call, ...), for fixtures that act on a failure; the
    tests' conftest loads this module as a plugin."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def keep_evidence(page, log: Path, test: str) -> None:
    """A failing test's last moment: a full-page screenshot and the server's log, in PICTURES/failed/."""
    failed = PICTURES / "failed"
    failed.mkdir(parents=True, exist_ok=True)
    name = test.replace("/", "_")
    page.screenshot(path=failed / f"{name}.png", full_page=True)
    shutil.copy(log, failed / f"{name}.log")


def shut_down_sessions(base: str) -> None:
    """End every kernel session the server has (the next test starts from none)."""
    for session in api(base, "/api/sessions"):
        api(base, f"/api/sessions/{session['id']}", "DELETE")


def kernel_display_name() -> str:
    """The display name of the course's kernel, as `make install` registered it."""
    spec = ROOT / ".venv" / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    return json.loads(spec.read_text())["display_name"]


def open_lab(page, base: str) -> None:
    """JupyterLab with a fresh layout, once the app has started and restored its state."""
    page.goto(f"{base}/lab?reset&token={TOKEN}")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }")


def open_in_file_browser(page, *names: str) -> None:
    """Double-click each of `names` in turn in the file browser: folders, then the notebook."""
    for name in names:
        item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=re.compile(
            f"^{re.escape(name)}$")))
        item.dblclick()
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)


def wait_for_kernel(page, name: str, timeout: float = 120) -> str:
    """Wait until the notebook's toolbar shows the kernel `name` and its execution indicator says idle."""
    toolbar = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar")
    toolbar.locator(".jp-Toolbar-kernelName", has_text=name).wait_for(timeout=timeout * 1000)
    page.wait_for_function("""() => {
        const w = window.jupyterapp.shell.currentWidget;
        return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel &&
               w.sessionContext.session.kernel.status === 'idle';
    }""", timeout=timeout * 1000)
    return toolbar.locator(".jp-Toolbar-kernelName").inner_text().strip()


def menu(page, top: str, item: str) -> None:
    """Choose `top` > `item` in JupyterLab's menu bar."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def run_all_and_wait(page, timeout: float = 300) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running and the kernel is idle."""
    menu(page, "Run", "Run All Cells")
    page.wait_for_function("""() => {
        const w = window.jupyterapp.shell.currentWidget;
        const busy = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')]
            .some(p => p.textContent.includes('[*]'));
        return !busy && w.sessionContext.session.kernel.status === 'idle';
    }""", timeout=timeout * 1000, polling=500)


def save(page, path: Path) -> dict:
    """Save the open notebook (Ctrl+S) and return it as saved on disk."""
    before = path.stat().st_mtime_ns
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while path.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, f"{path.name} was not saved"
        time.sleep(0.2)
    time.sleep(0.5)  # the write may still be under way
    return json.loads(path.read_text())
