"""The grading kernel's sandbox: each kernel nbgrader starts to grade a submission runs under bubblewrap, as a user
of its own, with no network, under caps on memory, processes, time and disk, and sees only the system, the venv
(read-only), a private home and /tmp, and its own copy of the submission's folder. Everything it can write is in
memory and capped (Caps.work_mb, Caps.tmp_mb), so that no submission can fill the disk under another's grading; what
the graded cells export is read back from inside the sandbox, as plain files only, while the kernel runs."""

from __future__ import annotations

import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import psutil
from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode

from helpers.exports import FOLDER as EXPORTS
from helpers.exports import INPUTS

SWITCH = "GRADING_SANDBOX"  # "off" grades without the sandbox, with the grader's rights (make autograde UNSANDBOXED=1)
HOME = "/home/grader"  # the kernel's home: empty, in memory, gone with the kernel
SCRATCH = ("/tmp", "/dev/shm", HOME)  # in memory, each capped at Caps.tmp_mb, each gone with the kernel
# Every namespace but the user one: the kernel is a real user of its own, for RLIMIT_NPROC to count its processes alone.
NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/sys/devices/system/cpu")  # read-only, where present
PASSED_ON = ("LANG", "LC_ALL", "TZ", "NBGRADER_EXECUTION")  # from the grader's environment; nothing else is (a database URL, say)
SUBMISSION = "/submission"  # the submission's copy, read-only: the kernel starts by copying it into its working folder
# The kernel's first step, as its own user: its working folder (an empty tmpfs) gets the submission's files.
FILL = 'cp -R "$0"/. . && exec "$@"'
EXPORT_MB = 256  # the largest export file the grader reads back from a kernel
PRIVATE = "grading-kernel-"  # in the temporary folder: grading-kernel-<grading process id>-<random>, one per kernel


@dataclass(frozen=True)
class Caps:
    """What one grading kernel may use; each is an environment variable GRADING_<NAME> (memory_gb: GRADING_MEMORY_GB)."""

    memory_gb: float = 6.0  # RLIMIT_AS, address space per process: the lessons peak at 3.0 GB (resident 1.1 GB)
    processes: int = 256  # RLIMIT_NPROC, processes and threads of the kernel's own user: lesson kernels use 30
    wall_seconds: int = 1800  # the whole notebook; a single cell stops at Execute.timeout (60 s) before that
    file_mb: int = 1024  # RLIMIT_FSIZE, the largest file it may write
    tmp_mb: int = 256  # the size of /tmp, /dev/shm and the home folder, each in memory
    work_mb: int = 512  # the size of the working folder (the submission's copy and all it writes there), in memory

    @classmethod
    def from_env(cls) -> Caps:
        """The caps, with GRADING_MEMORY_GB, GRADING_PROCESSES, ... from the environment where set."""
        values = {}
        for name, kind in (("memory_gb", float), ("processes", int), ("wall_seconds", int), ("file_mb", int),
                           ("tmp_mb", int), ("work_mb", int)):
            text = os.environ.get(f"GRADING_{name.upper()}")
            try:
                values[name] = kind(text) if text else getattr(cls, name)
            except ValueError:
                raise ValueError(f"GRADING_{name.upper()}={text!r} is not a number") from None
            if values[name] <= 0:
                raise ValueError(f"GRADING_{name.upper()}={text!r} must be above 0")
        return cls(**values)


def wanted() -> bool:
    """Whether grading kernels run in the sandbox: always, unless GRADING_SANDBOX=off."""
    value = os.environ.get(SWITCH, "on")
    if value not in ("on", "off"):
        raise ValueError(f"{SWITCH}={value!r}: use on (the default) or off")
    return value == "on"


def problem() -> str | None:
    """Why the sandbox cannot run here, or None if it can (a trial run of bubblewrap with every namespace)."""
    if sys.platform != "linux":
        return "the grading sandbox needs Linux (bubblewrap)"
    if not shutil.which("bwrap"):
        return "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
    trial = subprocess.run(["bwrap", *system_binds(), *NAMESPACES, "--die-with-parent", "true"],
                           capture_output=True, text=True)
    return f"bubblewrap cannot make a sandbox here: {trial.stderr.strip()}" if trial.returncode else None


def system_binds() -> list[str]:
    """bwrap options that show the system folders read-only, with /dev and /proc of the sandbox's own."""
    binds = [arg for path in SYSTEM if os.path.exists(path) for arg in ("--ro-bind", path, path)]
    return [*binds, "--dev", "/dev", "--proc", "/proc"]


def helpers_folder() -> Path | None:
    """The folder of the helpers package that this grading process imports (installed editable: the course's own)."""
    helpers = find_spec("helpers")
    return Path(list(helpers.submodule_search_locations)[0]) if helpers and helpers.submodule_search_locations else None


def visible_paths(kernel_cmd: list[str]) -> list[str]:
    """What the kernel must read besides the system: its Python (venv and base install) and the helpers package."""
    python = Path(kernel_cmd[0])
    venv = python.parent.parent
    paths = {str(venv), sys.base_prefix, str(Path(os.path.realpath(python)).parent.parent)}
    if helpers_folder():
        paths.add(str(helpers_folder()))
    return sorted(paths)


def command(kernel_cmd: list[str], *, copy: Path, cwd: Path, runtime: Path, uid: int, caps: Caps,
            env: dict[str, str], hide: Path) -> list[str]:
    """The command that runs `kernel_cmd` in the sandbox, at `cwd`: an empty folder in memory of Caps.work_mb, which the
    kernel's user fills with the files of `copy` (shown read-only at SUBMISSION) before the kernel starts. `hide` (the
    course root) is covered by an empty folder first, so that only the venv, the helpers and the kernel's working
    folder in it show through."""
    limits = ["prlimit", f"--as={int(caps.memory_gb * 2**30)}", f"--nproc={caps.processes}",
              f"--fsize={caps.file_mb * 2**20}", "--core=0", "--"]
    mounts = system_binds()
    for scratch in SCRATCH:  # first, so that what is mounted below /tmp (a venv there, say) shows on top of it
        mounts += ["--size", str(caps.tmp_mb * 2**20), "--tmpfs", scratch, "--chmod", "1777", scratch]
    mounts += ["--tmpfs", str(hide)]
    for path in visible_paths(kernel_cmd):
        mounts += ["--ro-bind", path, path]
    mounts += ["--ro-bind", str(copy), SUBMISSION, "--size", str(caps.work_mb * 2**20), "--tmpfs", str(cwd),
               "--chmod", "1777", str(cwd), "--bind", str(runtime), str(runtime), "--chdir", str(cwd)]
    targets = [Path(mounts[i + 1 if mounts[i] == "--tmpfs" else i + 2]) for i, arg in enumerate(mounts)
               if arg in ("--ro-bind", "--bind", "--tmpfs")]
    made = {p for target in targets for p in target.parents if p != Path("/")} - {Path(s) for s in SYSTEM + SCRATCH}
    made.discard(cwd)  # the working folder keeps its mode (1777), for the kernel's user to fill
    for parent in sorted(made - {p for p in made for s in SYSTEM if p.is_relative_to(s)}):
        mounts += ["--chmod", "0755", str(parent)]  # bubblewrap makes the folders above a mount root-only
    variables = {"HOME": HOME, "USER": "grader", "LOGNAME": "grader", "MALLOC_ARENA_MAX": "2",
                 "PATH": f"{Path(kernel_cmd[0]).parent}:/usr/bin:/bin",
                 **{k: v for k, v in os.environ.items() if k in PASSED_ON}, **env}
    if helpers_folder():  # the kernel imports the helpers mounted here, wherever the venv's editable install points
        variables["PYTHONPATH"] = str(helpers_folder().parent)
    setenv = [arg for name, value in variables.items() for arg in ("--setenv", name, value)]
    if os.geteuid() == 0:  # root becomes a user of its own, for whom RLIMIT_NPROC counts only this kernel's processes
        user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--"]
    else:  # another user keeps their uid, in a user namespace of its own, where RLIMIT_NPROC counts only this kernel
        user = []
        mounts = ["--unshare-user", *mounts]
    return [*limits, "bwrap", "--die-with-parent", "--new-session", *NAMESPACES, "--clearenv", *setenv, *mounts, "--",
            *user, "/bin/sh", "-c", FILL, SUBMISSION, *kernel_cmd]


def private_copy(folder: Path, copy: Path, uid: int) -> list[str]:
    """A copy of `folder` at `copy`, readable by `uid`, of its regular files and folders alone (never a link, a device
    or a pipe, nor what the grader alone writes: exports and inputs); the paths left out, for the log."""
    skipped = []

    def leave_out(where: str, names: list[str]) -> list[str]:
        out = [n for n in names if n in (EXPORTS, INPUTS, ".ipynb_checkpoints") or not plain(Path(where) / n)]
        skipped.extend(str((Path(where) / n).relative_to(folder)) for n in out if n != ".ipynb_checkpoints")
        return out

    shutil.copytree(folder, copy, symlinks=True, ignore=leave_out)
    if os.geteuid() == 0:
        for path in [copy, *copy.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)
    return skipped


def plain(path: Path) -> bool:
    """Whether `path` is a regular file or a folder, not a link (nor a device, a pipe or a socket)."""
    mode = path.lstat().st_mode
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


def read_below(root: str, parts: list[str], limit: int) -> bytes | None:
    """The bytes of the regular file at `root`/`parts`..., never following a link below `root`, or None if it is
    missing, not a plain file, or larger than `limit` bytes."""
    fds = []
    try:
        fds.append(os.open(root, os.O_RDONLY | os.O_DIRECTORY))
        for part in parts[:-1]:
            fds.append(os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fds[-1]))
        fds.append(os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fds[-1]))
        info = os.fstat(fds[-1])
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(os.dup(fds[-1]), "rb") as file:
            data = file.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        for fd in fds:
            os.close(fd)


def fetch_export(km: AsyncKernelManager, name: str, cwd: Path) -> None:
    """Copy the export `name`.npz that the kernel of `km` wrote, if it is sandboxed, to `cwd`/.grading-exports/, where
    the grader reads it; unsandboxed, the kernel wrote it there itself."""
    if isinstance(km, SandboxedKernelManager):
        km.fetch_export(name, cwd / EXPORTS)


def lock_runtime(km: AsyncKernelManager) -> None:
    """Lock the runtime folder of a sandboxed kernel (SandboxedKernelManager.lock_runtime); nothing for another."""
    if isinstance(km, SandboxedKernelManager):
        km.lock_runtime()


def sweep_leftovers(parent: Path) -> None:
    """Remove this user's private kernel folders in `parent` whose grading process is gone (killed before it could
    clean up: each folder is named for the process that made it)."""
    for folder in parent.glob(f"{PRIVATE}*-*"):
        pid = folder.name.removeprefix(PRIVATE).split("-")[0]
        try:
            mine = folder.lstat().st_uid == os.geteuid() and folder.is_dir() and not folder.is_symlink()
        except OSError:
            continue
        if mine and pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


class SandboxedKernelManager(AsyncKernelManager):
    """nbgrader's kernel manager, but the kernel runs in the sandbox, talks over ipc sockets in a private folder, and is
    interrupted by a message (a signal from outside would stop bubblewrap, not the cell)."""

    course_root = Unicode("", config=True, help="the folder the kernel must not see (nbgrader_config.py sets it)")

    def _prepare(self) -> None:
        reason = problem()
        if reason:
            raise RuntimeError(f"{reason}. Grading refuses to run student code unsandboxed unless told to: "
                               f"{SWITCH}=off (make autograde UNSANDBOXED=1) grades with the grader's rights.")
        # As root: a user that no file and no other kernel belongs to. Otherwise the grader's own.
        self.uid = random.randrange(1_000_000, 2_000_000_000) if os.geteuid() == 0 else os.getuid()
        sweep_leftovers(Path(tempfile.gettempdir()))
        self.private = Path(tempfile.mkdtemp(prefix=f"{PRIVATE}{os.getpid()}-"))
        self.runtime = self.private / "runtime"
        self.runtime.mkdir()
        os.chown(self.runtime, self.uid, -1)
        self.connection_file = str(self.runtime / "kernel.json")
        self.transport, self.ip = "ipc", str(self.runtime / "kernel-ipc")

    async def _async_pre_start_kernel(self, **kw):
        self._prepare()
        self.cwd = Path(kw.get("cwd") or os.getcwd()).resolve()
        self.copy = self.private / "submission"
        skipped = private_copy(self.cwd, self.copy, self.uid)
        if skipped:
            self.log.warning("not shown to the kernel, since they are not plain files or folders: %s", skipped)
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        kernel_cmd = super().format_kernel_cmd(extra_arguments)
        os.chown(self.connection_file, self.uid, -1)  # written by now, readable by its owner only
        return command(kernel_cmd, copy=self.copy, cwd=self.cwd, runtime=self.runtime, uid=self.uid,
                       caps=Caps.from_env(), env=dict(self.kernel_spec.env), hide=Path(self.course_root or self.cwd))

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        # prlimit became bubblewrap, a child of this grading process: it dies with it (--die-with-parent), and the
        # whole sandbox with it. The wall-time cap kills it from here, where the kernel cannot reach.
        self.wall = threading.Timer(Caps.from_env().wall_seconds, self.provisioner.process.kill)  # SIGKILL
        self.wall.daemon = True
        self.wall.start()

    def fetch_export(self, name: str, into: Path) -> None:
        """Copy `name`.npz from the kernel's export folder, while it runs, into the folder `into` (replacing what was
        there); a link, anything but a plain file, or a file over EXPORT_MB is not copied, and removes what was."""
        target = into / f"{name}.npz"
        target.unlink(missing_ok=True)
        root = self.sandbox_root()
        data = read_below(root, [*self.cwd.parts[1:], EXPORTS, target.name], EXPORT_MB * 2**20) if root else None
        if data is not None:
            into.mkdir(exist_ok=True)
            target.write_bytes(data)

    def lock_runtime(self) -> None:
        """Once the kernel has bound its sockets, before any cell runs: its runtime folder (on the grader's disk) takes
        no more files, so that no code in the kernel can fill that disk through it. As root the folder and the
        connection file become root's; as another user, whose kernel keeps its uid, they become read-only (which
        the kernel could undo)."""
        if os.geteuid() == 0:
            os.chown(self.runtime, 0, 0)
            os.chown(self.connection_file, 0, 0)
        os.chmod(self.connection_file, 0o400)
        os.chmod(self.runtime, 0o555 if os.geteuid() else 0o755)

    def sandbox_root(self) -> str | None:
        """The sandbox's / as this process reaches it (/proc/<its first process>/root), or None once it has ended."""
        try:
            inside = psutil.Process(self.provisioner.process.pid).children()
        except (AttributeError, psutil.Error):  # no kernel, or it has ended
            return None
        return f"/proc/{inside[0].pid}/root" if inside else None

    def working_folder(self) -> Path | None:
        """The kernel's working folder (in memory, in the sandbox) as this process reaches it, or None once it ended.
        Only the kernel's user writes in it, but never in the folders above it, which are the sandbox's own."""
        root = self.sandbox_root()
        return Path(root) / self.cwd.relative_to("/") if root else None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        if getattr(self, "wall", None):
            self.wall.cancel()
        await super()._async_cleanup_resources(restart)
        if not restart:
            shutil.rmtree(self.private, ignore_errors=True)
