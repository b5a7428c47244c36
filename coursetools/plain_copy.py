"""Copying a folder a student handed in, with the instructor's rights, without following anything the student made.

Only regular files and folders are copied. A symbolic link, a device, a pipe or a socket is skipped and named, and so
is a regular file with other hard links (it can be someone else's file under a name in the student's folder). The walk
holds each folder open and opens each file relative to it with O_NOFOLLOW (os.fwalk), so that a file swapped for a
link while the copy runs is not followed either. A file larger than `max_file_bytes` is skipped; a folder holding more
than `max_total_bytes` is refused whole (TooLarge) and what was copied of it removed.

What is copied gets the course's modes, not the student's: 0640 for a file (the instructor reads and writes, the
course's group reads, nobody executes), 0750 for a folder; no setuid bit, nothing for other users.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FILE_MODE, FOLDER_MODE = 0o640, 0o750
CHUNK = 1 << 20
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True)
class Skipped:
    """An entry of a handed-in folder that was not copied, and why."""

    path: str  # relative to the folder
    why: str

    def __str__(self) -> str:
        return f"{self.path} ({self.why})"


class TooLarge(Exception):
    """A handed-in folder holds more bytes than the copy allows."""


def kind(mode: int) -> str:
    """What an entry that is not a regular file or folder is, in words."""
    if stat.S_ISLNK(mode):
        return "a link, not followed"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_folder(folder: Path) -> None:
    """Refuse a handed-in folder that is itself a link or not a folder at all."""
    mode = os.lstat(folder).st_mode
    if not stat.S_ISDIR(mode):
        raise NotADirectoryError(f"{folder} is {kind(mode) if not stat.S_ISREG(mode) else 'a file'}, not a folder")


def copy_plain(src: Path, dest: Path, leave_out: Callable[[str], bool] = lambda name: False,
               max_file_bytes: int | None = None, max_total_bytes: int | None = None) -> list[Skipped]:
    """Copy the regular files and folders of `src` into `dest` (created; it must not exist), skipping whatever
    `leave_out(name)` names; what was skipped. Raises TooLarge, with `dest` removed, past `max_total_bytes`."""
    check_folder(src)
    dest.mkdir(mode=FOLDER_MODE)
    dest.chmod(FOLDER_MODE)
    skipped: list[Skipped] = []
    total = [0]
    try:
        for top, folders, files, top_fd in os.fwalk(src, follow_symlinks=False):
            where = Path(top).relative_to(src)
            linked = [name for name in folders if not is_folder(top_fd, name)]  # fwalk lists a link to a folder here
            folders[:] = [name for name in folders if not leave_out(name) and name not in linked]
            files = files + linked
            for name in folders:
                (dest / where / name).mkdir(mode=FOLDER_MODE)
                (dest / where / name).chmod(FOLDER_MODE)
            for name in files:
                if leave_out(name):
                    continue
                problem = copy_file(top_fd, name, dest / where / name, max_file_bytes, total, max_total_bytes)
                if problem:
                    skipped.append(Skipped((where / name).as_posix(), problem))
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return skipped


def is_folder(top_fd: int, name: str) -> bool:
    """Whether the entry `name` of the open folder `top_fd` is a folder itself, not a link to one."""
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=top_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


def copy_file(top_fd: int, name: str, target: Path, max_file_bytes: int | None, total: list[int],
              max_total_bytes: int | None) -> str:
    """Copy the entry `name` of the open folder `top_fd` to `target` if it is a plain regular file; why not, if not."""
    try:
        before = os.stat(name, dir_fd=top_fd, follow_symlinks=False)
    except FileNotFoundError:
        return "removed while it was copied"
    if not stat.S_ISREG(before.st_mode):
        return kind(before.st_mode)
    try:
        fd = os.open(name, OPEN_FLAGS, dir_fd=top_fd)
    except OSError as error:
        return f"not readable: {error.strerror}"
    with os.fdopen(fd, "rb") as source:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            return "changed while it was copied"
        if now.st_nlink > 1:
            return "a hard link: it may be another user's file"
        if max_file_bytes is not None and now.st_size > max_file_bytes:
            return f"larger than {max_file_bytes // 1000} KB"
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
        with os.fdopen(out, "wb") as copy:
            os.fchmod(out, FILE_MODE)  # the umask may have taken the group's read
            written = 0
            while chunk := source.read(CHUNK):
                written += len(chunk)
                total[0] += len(chunk)
                if max_total_bytes is not None and total[0] > max_total_bytes:
                    raise TooLarge(f"it holds more than {max_total_bytes // 1000} KB")
                if max_file_bytes is not None and written > max_file_bytes:  # it grew while it was copied
                    break
                copy.write(chunk)
        if max_file_bytes is not None and written > max_file_bytes:
            target.unlink()
            return f"larger than {max_file_bytes // 1000} KB"
    return ""


def read_small(folder: Path, name: str, limit: int = 200) -> str | None:
    """The first `limit` bytes of the regular file `folder/name` as text, through no link; None if it is not one."""
    try:
        fd = os.open(folder / name, OPEN_FLAGS)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return fh.read(limit).decode("utf-8", errors="replace")


MAX_DEPTH = 64  # folders inside folders: deeper, a walk (Python's is recursive) could fail for the whole class


def deeper_than(folder: Path, limit: int = MAX_DEPTH) -> bool:
    """Whether `folder` holds folders nested more than `limit` deep (never following a link; without recursion)."""
    stack = [(str(folder), 0)]
    while stack:
        top, depth = stack.pop()
        if depth > limit:
            return True
        try:
            with os.scandir(top) as entries:
                stack += [(e.path, depth + 1) for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
    return False

