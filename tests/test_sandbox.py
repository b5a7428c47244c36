"""Red-team submissions against the grading sandbox, each graded by the real pipeline (`make autograde`, nbgrader) on
the tiny course, whose one check is `answer == 42`. None may score above its honest answer or change anything outside
its sandbox; the resource attacks are proven capped on a small scale before they run at full size."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from pathlib import Path

import nbformat
import pytest

from coursetools import sandbox
from notebook_tools import coursetools
from test_parallel_autograde import gradebook_scores
from tiny_course import submit

RIGHT, WRONG = "answer = 42", "answer = 41"

# Each attack records what every attempt gave (a value, or the error's name) and prints it as one JSON line.
ATTEMPT = '''import json, os, socket, sqlite3
seen = {}
def attempt(name, action):
    try:
        seen[name] = repr(action())[:300]
    except BaseException as error:
        seen[name] = type(error).__name__
'''


@pytest.fixture(autouse=True)
def bubblewrap():
    """Skip where the sandbox cannot run, except under CI, where that is a failure."""
    import os

    reason = sandbox.problem()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI needs the grading sandbox: {reason}")
    if reason:
        pytest.skip(f"the grading sandbox cannot run here: {reason}")


def printed(root: Path, student: str, marker: str) -> str:
    """The text after `marker` in what the student's autograded notebook printed."""
    nb = nbformat.read(root / "autograded" / student / "tiny" / "tiny.ipynb", as_version=4)
    text = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []))
    died = [f"{o['ename']}: {o['evalue']}" for cell in nb.cells for o in cell.get("outputs", []) if "ename" in o]
    assert marker in text, f"{student}'s notebook printed no {marker!r}: {text[-1500:]!r}; its errors: {died}"
    return text.split(marker, 1)[1].splitlines()[0]


def fingerprint(root: Path) -> dict[str, str]:
    """sha256 of every file under `root` that grading must leave alone (the gradebook aside)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "gradebook.db" and not p.name.startswith("gradebook.db-")}


def test_a_submission_sees_nothing_of_the_course_nor_the_network(released_course):
    root = released_course
    submit(root, "ann", "tiny", RIGHT)
    coursetools(root, "autograde")
    with socket.create_server(("127.0.0.1", 0)) as listening:  # a service on the grader's loopback
        port = listening.getsockname()[1]
        submit(root, "eve", "tiny", ATTEMPT + f'''
root = {str(root)!r}
attempt("solutions", lambda: os.listdir(root + "/solutions"))
attempt("source", lambda: open(root + "/solutions/tiny/tiny.ipynb").read())
attempt("gradebook", lambda: sqlite3.connect(f"file:{{root}}/gradebook.db?mode=rw", uri=True)
        .execute("UPDATE grade SET manual_score = 999").rowcount)
attempt("others", lambda: os.listdir(root + "/submitted"))
attempt("overwrite", lambda: open(root + "/submitted/ann/tiny/tiny.ipynb", "w").write("{{}}"))
attempt("autograded", lambda: open(root + "/autograded/ann/tiny/tiny.ipynb", "w").write("{{}}"))
attempt("feedback", lambda: os.makedirs(root + "/feedback/ann"))
attempt("course", lambda: os.listdir(root))
attempt("home", lambda: os.listdir(os.path.expanduser("~")))
attempt("root", lambda: os.listdir("/root"))
attempt("grader", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5))
attempt("outside", lambda: socket.create_connection(("1.1.1.1", 53), timeout=5))
attempt("environment", lambda: sorted(os.environ))
attempt("user", lambda: os.getuid())
print("SEEN" + json.dumps(seen))
{WRONG}''')
        before = fingerprint(root)
        result = coursetools(root, "autograde", check=False)
    seen = json.loads(printed(root, "eve", "SEEN"))
    for name in ("solutions", "source", "gradebook", "others"):
        assert seen[name] in ("FileNotFoundError", "OperationalError"), f"{name}: the sandbox let it see {seen[name]}"
    for name in ("overwrite", "autograded", "feedback"):
        assert seen[name] in ("FileNotFoundError", "PermissionError"), f"{name}: the sandbox let it write ({seen[name]})"
    assert seen["course"] in ("['autograded']", "[]"), f"the course root should look empty, it shows {seen['course']}"
    assert set(eval(seen["home"])) <= {".ipython", ".cache", ".config", ".local"}, f"home holds {seen['home']}"
    assert seen["root"] in ("['.pyenv']", "FileNotFoundError"), f"/root shows {seen['root']}"  # Python may live there
    assert seen["grader"] == "ConnectionRefusedError", f"it reached the grader's loopback: {seen['grader']}"
    assert seen["outside"] == "OSError", f"it reached the network: {seen['outside']}"
    allowed = {"HOME", "USER", "LOGNAME", "PATH", "LANG", "LC_ALL", "TZ", "MALLOC_ARENA_MAX", "TF_USE_LEGACY_KERAS",
               "TF_CPP_MIN_LOG_LEVEL", "PWD", "MPLBACKEND", "PYDEVD_USE_FRAME_EVAL", "TERM", "CLICOLOR", "FORCE_COLOR",
               "CLICOLOR_FORCE", "PAGER", "GIT_PAGER", "JPY_SESSION_NAME", "NBGRADER_EXECUTION",
               "PYTHONPATH"}  # the folder of the helpers that the sandbox mounts
    assert set(eval(seen["environment"])) <= allowed, f"the grader's environment leaked: {seen['environment']}"
    assert int(seen["user"]) >= 1_000_000, f"the kernel ran as user {seen['user']}, not one of its own"
    assert "eve/tiny (new): 0/1" in result.stdout, result.stdout + result.stderr
    assert fingerprint(root) == before | {k: v for k, v in fingerprint(root).items() if k.startswith(
        ("autograded/eve/", "logs/", "autograded/.submission-hashes"))}, "grading eve changed files outside eve's"
    assert gradebook_scores(root) == {"ann": 1.0, "eve": 0.0}


BOMB = '''import os, time
mine = os.getpid()
for _ in range({rounds}):  # every process forks on: 2 ** rounds of them, but for the cap
    try:
        os.fork()
    except OSError:
        pass
if os.getpid() != mine:
    time.sleep(30)  # the sandbox ends them all when the kernel stops
    os._exit(0)
print("PROCESSES", len([p for p in os.listdir("/proc") if p.isdigit()]))
'''

HOG = '''hoard = []
try:
    for _ in range({chunks}):  # 100 MB at a time, each byte written
        hoard.append(b"x" * 100_000_000)
except MemoryError:
    pass
print("HELD", len(hoard) * 100)
del hoard
'''

FILL = '''import os
written = 0
try:  # files of 4 MB, each under the cap on one file, until the working folder is full
    for number in range({megabytes} // 4):
        with open(f"filler-{{number}}.bin", "wb") as out:
            out.write(b"x" * 4 * 2**20)
        written += 4
except OSError:
    pass
folder = os.statvfs(".")
try:  # the folder of the kernel's sockets and connection file, which is on the grader's disk
    from ipykernel.connect import get_connection_file
    open(os.path.join(os.path.dirname(get_connection_file()), "filler.bin"), "wb").write(b"x" * 2**20)
    runtime = "written"
except OSError:
    runtime = "refused"
print("FILLED", written, folder.f_blocks * folder.f_frsize // 2**20, runtime)
'''

SPIN = '''import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # no interrupt can stop this cell
while True:  # it waits rather than spins: its 30 s would otherwise take a core from the other tests
    time.sleep(0.1)
'''


def grade_attacks(root: Path, attacks: dict[str, str], **caps: str) -> str:
    """Submit each attack (then a wrong answer) beside an honest student, grade all at once under `caps`
    (GRADING_...); the run's output."""
    import os

    submit(root, "ann", "tiny", RIGHT)
    for student, code in attacks.items():
        submit(root, student, "tiny", code + "\n" + WRONG)
    old = {name: os.environ.get(name) for name in caps}
    os.environ.update(caps)
    try:
        result = coursetools(root, "autograde", "--jobs", str(len(attacks) + 1), check=False)
    finally:
        for name, value in old.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    assert gradebook_scores(root) == {"ann": 1.0, **dict.fromkeys(attacks, 0.0)}, result.stdout + result.stderr
    return result.stdout


def test_fork_bomb_memory_hog_disk_filler_and_a_cell_that_ignores_interrupts_are_capped_small_then_full(released_template, tmp_path):
    root = Path(shutil.copytree(released_template, tmp_path / "small"))
    # The wall-time cap must outlast a kernel's start on a loaded machine (the hog's took 10 s beside the spinner and
    # the other test worker), or the hog is killed before it prints; 30 s still ends the spinner soon.
    out = grade_attacks(root, {"bomb": BOMB.format(rounds=7), "hog": HOG.format(chunks=30), "spin": SPIN,
                               "filler": FILL.format(megabytes=200)},
                        GRADING_PROCESSES="40", GRADING_MEMORY_GB="2", GRADING_WALL_SECONDS="30", GRADING_WORK_MB="32")
    assert int(printed(root, "bomb", "PROCESSES")) <= 40, "2 ** 7 processes were asked for; the cap is 40"
    assert int(printed(root, "hog", "HELD")) < 2000, "it held 2 GB or more under a 2 GB cap"
    written, size, runtime = printed(root, "filler", "FILLED").split()
    assert int(written) < 32 and size == "32", f"it wrote {written} MB in a working folder of {size} MB; the cap is 32"
    assert runtime == "refused", "it wrote into its runtime folder, on the grader's disk"
    assert "spin/tiny (new): 0/1" in out, out  # killed at the wall-time cap; graded, with 0 for the cells it lost

    # Proven capped: now at full size, under the default caps, with a wall-time cap that still ends the run soon.
    full = Path(shutil.copytree(released_template, tmp_path / "full"))
    grade_attacks(full, {"bomb": BOMB.format(rounds=2000), "hog": HOG.format(chunks=100),
                         "exit": "import os\nos._exit(0)", "filler": FILL.format(megabytes=4000)},
                  GRADING_WALL_SECONDS="120")
    caps = sandbox.Caps()
    assert int(printed(full, "bomb", "PROCESSES")) <= caps.processes
    assert int(printed(full, "hog", "HELD")) < caps.memory_gb * 2**30 / 1e6
    assert int(printed(full, "filler", "FILLED").split()[0]) < caps.work_mb, "4 GB were asked for"
    assert printed(full, "filler", "FILLED").split()[2] == "refused"


# Attacks from inside the kernel, which the sandbox does not stop: the grader's own check outside the kernel does.
IN_KERNEL = {
    "equal": "class Yes:\n    __eq__ = lambda self, other: True\nanswer = Yes()",
    "transformer": 'get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])',
    "run_cell": ("import IPython\nshell = get_ipython()\nrun = shell.run_cell\n"
                 "shell.run_cell = lambda raw, *a, **k: run('pass', *a, **k)"),
    "traceback": "get_ipython().showtraceback = lambda *a, **k: None",
}


@pytest.fixture(scope="module")
def in_kernel_scores(released_template, tmp_path_factory) -> dict[str, float]:
    """Each in-kernel attack (with no answer) graded once, all in one run."""
    root = Path(shutil.copytree(released_template, tmp_path_factory.mktemp("in_kernel") / "course"))
    for student, code in IN_KERNEL.items():
        submit(root, student, "tiny", code)
    coursetools(root, "autograde", "--jobs", "2", check=False)
    return gradebook_scores(root)


@pytest.mark.parametrize("attack", sorted(IN_KERNEL))
def test_an_attack_from_inside_the_kernel_scores_nothing(in_kernel_scores, attack):
    assert in_kernel_scores[attack] == 0.0, f"{attack} scored {in_kernel_scores[attack]} with no answer"


def test_a_venv_below_tmp_shows_through_the_sandboxs_own_tmp(tmp_path):
    """A course checked out below /tmp: its venv must not vanish under the sandbox's empty /tmp."""
    import subprocess
    import sys
    import venv

    venv.create(tmp_path / "venv", symlinks=True)  # no pip: a second or two
    folders = {name: tmp_path / name for name in ("copy", "cwd", "runtime", "course")}
    for folder in folders.values():
        folder.mkdir()
    python = str(tmp_path / "venv" / "bin" / "python")
    probe = "import os, sys; print(sys.prefix, sorted(os.listdir('/tmp')), os.access('/tmp', os.W_OK))"
    cmd = sandbox.command([python, "-c", probe], copy=folders["copy"], cwd=folders["cwd"], runtime=folders["runtime"],
                          uid=1_234_567, caps=sandbox.Caps(), env={}, hide=folders["course"])
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    prefix, rest = result.stdout.split(" ", 1)
    assert prefix == str(tmp_path / "venv") and rest.strip().endswith("True"), result.stdout
    assert sys.prefix not in result.stdout


def test_the_kernel_imports_the_helpers_the_sandbox_shows_and_one_that_cannot_stops_grading_first(released_course):
    """A course folder with helpers of its own, while the venv's editable install points at another folder (this
    repository's): the kernel imports the course's, which the sandbox mounts, and the honest answer scores 1. When
    the kernel's user cannot read them, `make autograde` refuses in one line before it grades anything."""
    root = released_course
    shutil.copytree(Path(__file__).resolve().parents[1] / "helpers", root / "helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "helpers" / "course_copy.py").write_text("")  # only this course's copy has it
    submit(root, "ann", "tiny", RIGHT + "\nimport helpers.course_copy\nprint('HELPERS', helpers.__file__)")
    submit(root, "eve", "tiny", WRONG)
    coursetools(root, "autograde")
    assert gradebook_scores(root) == {"ann": 1.0, "eve": 0.0}
    assert printed(root, "ann", "HELPERS").strip() == str(root / "helpers" / "__init__.py")

    (root / "helpers").chmod(0o700)  # readable by the grader (root), not by the kernel's own user
    submit(root, "bob", "tiny", RIGHT)
    result = coursetools(root, "autograde", check=False)
    assert result.returncode == 1 and not (root / "autograded" / "bob").exists()
    message = (result.stdout + result.stderr).strip().splitlines()[-1]
    assert "a grading kernel cannot import helpers" in message and "nothing was graded" in message, message
    assert f"chmod -R a+rX {root / 'helpers'}" in message, message
