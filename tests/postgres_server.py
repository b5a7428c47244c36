"""A private PostgreSQL server for the tests: Debian's binaries, a fresh data folder, 127.0.0.1 at a free port.

PostgreSQL refuses to run as root, so initdb and the server run as the `postgres` user when the tests run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL = "apt-get update && apt-get install -y --no-install-recommends postgresql"


def binaries() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (initdb, postgres), if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    """`command`, run as the postgres user when this process is root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def private_server() -> Iterator[tuple[str, Path]]:
    """Start a throwaway server; yield (its base URL without a database name, its binaries) and stop it after."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError(f"PostgreSQL's server is not installed; install it with: {INSTALL}")
    folder = Path(tempfile.mkdtemp(prefix="pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    subprocess.run(as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "grader", "-A", "trust",
                                   "--no-sync"]), check=True, capture_output=True, cwd=folder)
    server = subprocess.Popen(as_server_user([str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                                              "-p", str(port), "-k", str(folder), "-c", "fsync=off"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the private PostgreSQL server on port {port} did not start")
            time.sleep(0.2)
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}", bin_dir
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(base_url: str, bin_dir: Path, name: str) -> str:
    """Create database `name` on the server at `base_url` and return its URL."""
    host_port = base_url.rsplit("@", 1)[1]
    host, port = host_port.split(":")
    subprocess.run([str(bin_dir / "createdb"), "-h", host, "-p", port, "-U", "grader", name],
                   check=True, capture_output=True)
    return f"{base_url}/{name}"
