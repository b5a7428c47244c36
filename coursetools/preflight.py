"""Before grading anything: prove that a grading kernel, started as nbgrader will start it (in the sandbox unless told
otherwise, from a process that imports the course's helpers as nbgrader's does), can import `helpers` as the lessons
do. A kernel that cannot would score every submission 0.

    python -m coursetools.preflight ROOT on|off     # prints the problem, if any, and exits 1
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from coursetools import sandbox

PROBE = "import helpers, helpers.exports\nprint(helpers.__file__)"


async def _probe(root: Path, sandboxed: bool) -> str | None:
    """The error of PROBE in a fresh grading kernel ("Name: message"), or None if it ran."""
    with tempfile.TemporaryDirectory(dir=root, prefix=".grading-preflight-") as folder:
        if sandboxed:
            manager = sandbox.SandboxedKernelManager(kernel_name="python3", course_root=str(root))
        else:
            manager = AsyncKernelManager(kernel_name="python3")
        await manager.start_kernel(cwd=folder)
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            reply = await client.execute_interactive(PROBE, timeout=120, output_hook=lambda message: None)
            content = reply["content"]
            return None if content["status"] == "ok" else f"{content.get('ename')}: {content.get('evalue')}"
        except (RuntimeError, TimeoutError) as error:
            return f"the kernel did not start or answer ({type(error).__name__}: {error})"
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)


def problem(root: Path, sandboxed: bool) -> str | None:
    """Why grading must not start (one line, with the fix), or None if a grading kernel imports helpers. The probe
    runs in a process of its own, started in the course root as nbgrader's graders are (coursetools.nbgrader_cli)."""
    from coursetools.nbgrader_cli import nbgrader_env

    result = subprocess.run([sys.executable, "-m", "coursetools.preflight", str(root), "on" if sandboxed else "off"],
                            cwd=root, env=nbgrader_env(), capture_output=True, text=True, timeout=600)
    if result.returncode == 0:
        return None
    lines = result.stdout.strip().splitlines() or result.stderr.strip().splitlines() or ["(no output)"]
    return lines[-1]


def main(root: Path, sandboxed: bool) -> int:
    """Probe a grading kernel; print the problem and return 1 if it cannot import helpers."""
    error = asyncio.run(_probe(root, sandboxed))
    if error is None:
        return 0
    folder = sandbox.helpers_folder()
    print(f"a grading kernel cannot import helpers ({error}), so every submission would score 0; nothing was graded. "
          f"The kernel imports {folder}: check that every user can read it (chmod -R a+rX {folder}) and that "
          "`make install` ran in this course folder")
    return 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2] == "on"))
