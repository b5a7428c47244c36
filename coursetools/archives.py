"""nbgrader's zip_collect extractor for this course: a platform's download unpacked within limits, where one student's
archive can fail no one but its owner.

The platform's download (the zip make collect was given) is unpacked into extracted/<its name>/. An archive that a
student handed in is one file of it. It is unpacked too, beside itself into <its name without the suffix>/, so that
extracted/ shows the instructor what it holds (a notebook zipped by mistake can be copied by hand), but nothing in it
is ever collected: the platforms' file patterns are anchored at the top of the download (coursetools/platforms.py).
Archives inside a student's archive stay files (`max_depth` = 2: the download and the archives in it).

Limits: a student's archive may unpack to `max_mb` and `max_members` at most, archives inside it included; the
download itself to `download_max_mb` and `download_max_members`, and to no more than the disk has free. Sizes are
counted as the bytes are written, not as the archive declares them. A student's archive that is no archive (a .gz
that is not gzip), is damaged, holds a name that leads outside its folder, or passes a limit, is that student's
problem: what was unpacked of it is removed, the file is kept as handed in, and it is reported against its student
(`problems`, and `problems_path` as JSON); the class is still collected. A download that fails so stops the collect:
it is the platform's file, not a student's. No link, device or pipe is ever created: such members are left out and
named. Handled: .zip, .tar, .tar.gz and .tgz, and .gz (one file); nbgrader's ExtractorPlugin.zip_ext is not read.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nbgrader.plugins import ExtractorPlugin
from traitlets import Float, Int, Unicode

from coursetools.plain_copy import MAX_DEPTH, kind

MB = 1_000_000
CHUNK = 1 << 20
SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip", ".gz")


class Broken(Exception):
    """An archive that cannot be unpacked at all, or not within its limits."""


@dataclass
class Budget:
    """What an archive may still unpack to: bytes and members, within its parent's budget too."""

    bytes_left: int
    members_left: int
    parent: Budget | None = None

    def take(self, nbytes: int = 0, members: int = 0) -> None:
        """Spend `nbytes` and `members`, here and in every parent; Broken past any limit."""
        budget: Budget | None = self
        while budget is not None:
            budget.bytes_left -= nbytes
            budget.members_left -= members
            if budget.bytes_left < 0:
                raise Broken(f"it unpacks to more than the limit of {budget.limit_mb():g} MB")
            if budget.members_left < 0:
                raise Broken(f"it holds more than the limit of {budget.limit_members()} files")
            budget = budget.parent

    def __post_init__(self) -> None:
        self.start = (self.bytes_left, self.members_left)

    def limit_mb(self) -> float:
        return self.start[0] / MB

    def limit_members(self) -> int:
        return self.start[1]

    def fits(self, nbytes: int, members: int) -> None:
        """Refuse at once what an archive declares beyond this budget (its real sizes are counted as they come)."""
        if nbytes > self.bytes_left:
            raise Broken(f"it declares {nbytes / MB:.1f} MB, more than the limit of {self.limit_mb():g} MB")
        if members > self.members_left:
            raise Broken(f"it holds {members} files, more than the limit of {self.limit_members()}")


def suffix(name: str) -> str:
    """The archive suffix of a file's name (".zip", ".tar.gz", ...), or "" for a file that is no archive."""
    lower = name.lower()
    return next((s for s in SUFFIXES if lower.endswith(s) and len(lower) > len(s)), "")


def parts(name: str) -> list[str]:
    """A member's path as folder names, refusing one that leads outside the archive's folder."""
    pieces = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if name.startswith(("/", "\\")) or ".." in pieces or not pieces or "\0" in name:
        raise Broken(f"its member {name[:80]!r} leads outside its folder")
    return pieces


def make_folders(into: Path, pieces: list[str]) -> Path:
    """Create the folders `pieces` below `into` (through no link: none is ever made there); the innermost."""
    folder = into
    for piece in pieces:
        folder = folder / piece
        if not folder.is_dir() or folder.is_symlink():
            folder.mkdir(mode=0o750)
    return folder


def write_member(into: Path, name: str, stream: BinaryIO, budget: Budget) -> Path:
    """Write one member's bytes below `into`, counting them against `budget`; the file written."""
    pieces = parts(name)
    target = make_folders(into, pieces[:-1]) / pieces[-1]
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(CHUNK):
            budget.take(nbytes=len(chunk))
            out.write(chunk)
    return target


class Bounded:
    """A stream that refuses to be read past `limit` bytes (a tar's headers are read whole into memory)."""

    def __init__(self, raw: BinaryIO, limit: int):
        self.raw, self.left = raw, limit

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(CHUNK if size < 0 else size)
        self.left -= len(data)
        if self.left < 0:
            raise Broken("it unpacks to more than its limit")
        return data


def unpack_zip(archive: Path, into: Path, budget: Budget) -> list[str]:
    """Unpack a zip's regular files and folders; the members left out."""
    left_out = []
    with zipfile.ZipFile(archive) as zipped:
        members = zipped.infolist()
        budget.fits(sum(m.file_size for m in members), len(members))
        for member in members:
            budget.take(members=1)
            if member.filename.count("/") > MAX_DEPTH:
                left_out.append(f"{member.filename[:80]}... (nested more than {MAX_DEPTH} folders deep)")
                continue
            mode = member.external_attr >> 16  # Unix modes, where the zip was made on Unix; the type bits may be 0
            if member.is_dir():
                make_folders(into, parts(member.filename))
            elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                left_out.append(f"{member.filename} ({kind(mode)})")
            else:
                with zipped.open(member) as stream:
                    write_member(into, member.filename, stream, budget)
    return left_out


def unpack_tar(archive: Path, into: Path, budget: Budget) -> list[str]:
    """Unpack a tar's (or a gzipped tar's) regular files and folders, read as a stream; the members left out."""
    left_out = []
    raw = gzip.open(archive) if archive.name.lower().endswith(("gz", "tgz")) else open(archive, "rb")
    with raw, tarfile.open(fileobj=Bounded(raw, budget.bytes_left + 1024 * budget.members_left + 65536),
                           mode="r|") as tar:
        for member in tar:
            budget.take(members=1)
            if member.name.count("/") > MAX_DEPTH:
                left_out.append(f"{member.name[:80]}... (nested more than {MAX_DEPTH} folders deep)")
                continue
            if member.isdir():
                make_folders(into, parts(member.name))
            elif not member.isreg():
                left_out.append(f"{member.name} (a link or a special file)")
            else:
                budget.fits(member.size, 0)
                write_member(into, member.name, tar.extractfile(member), budget)
    return left_out


def unpack_gzip(archive: Path, into: Path, budget: Budget) -> list[str]:
    """Unpack a .gz that holds one file, under the archive's name without .gz."""
    budget.take(members=1)
    with gzip.open(archive) as stream:
        write_member(into, archive.name[:-3], stream, budget)
    return []


def unpack_one(archive: Path, into: Path, budget: Budget) -> list[str]:
    """Unpack `archive` into `into` as its suffix says; the members left out. Broken if it cannot be, whatever why."""
    kind_of = suffix(archive.name)
    unpack = unpack_zip if kind_of == ".zip" else unpack_gzip if kind_of == ".gz" else unpack_tar
    if kind_of == ".gz" and tarfile.is_tarfile(archive):
        unpack = unpack_tar
    try:
        return unpack(archive, into, budget)
    except Broken:
        raise
    except (zipfile.BadZipFile, gzip.BadGzipFile, tarfile.TarError, EOFError) as error:
        raise Broken(f"it is not a {kind_of[1:]} archive, or a damaged one ({error})") from None
    except Exception as error:  # noqa: BLE001 - whatever a student's file does, it is that file's problem
        raise Broken(f"it could not be unpacked ({type(error).__name__}: {error})") from None


def free_folder(archive: Path) -> Path:
    """A folder beside `archive`, named as the archive without its suffix, that does not exist yet."""
    base = archive.with_name(archive.name[:-len(suffix(archive.name))])
    folder, n = base, 1
    while folder.exists() or folder.is_symlink():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def archives_below(folder: Path) -> list[Path]:
    """The regular files below `folder` whose names say they are archives."""
    found = []
    for top, _, files in os.walk(folder):
        found += [Path(top) / f for f in files if suffix(f) and stat.S_ISREG(os.lstat(Path(top) / f).st_mode)]
    return sorted(found)


@dataclass
class Unpacker:
    """Unpacking a download and the archives in it, with the limits of UnpackWithLimits."""

    root: Path  # extracted/: problems are named relative to it
    max_depth: int
    student_bytes: int
    student_members: int
    problems: list[dict]

    def tree(self, archive: Path, into: Path, depth: int, budget: Budget) -> None:
        """Unpack `archive` into the new folder `into`, then the archives it held, down to max_depth."""
        into.mkdir(mode=0o750)
        for member in unpack_one(archive, into, budget):
            self.problems.append({"file": self.name(archive), "why": f"{member}: left out", "unpacked": True})
        if depth >= self.max_depth:
            return
        for inner in archives_below(into):
            if depth == 1:  # a student's archive: its own budget, within the download's
                self.student(inner, Budget(self.student_bytes, self.student_members, parent=budget))
            else:
                self.tree(inner, free_folder(inner), depth + 1, budget)

    def student(self, archive: Path, budget: Budget) -> None:
        """Unpack a student's archive; if it cannot be, remove what was unpacked of it and record the problem."""
        into = free_folder(archive)
        try:
            self.tree(archive, into, 2, budget)
        except Broken as error:
            shutil.rmtree(into, ignore_errors=True)
            self.problems.append({"file": self.name(archive), "why": str(error), "unpacked": False})

    def name(self, path: Path) -> str:
        """A path as the report names it: relative to extracted/."""
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else path.name


class UnpackWithLimits(ExtractorPlugin):
    """Unpack the platform's download and the archives students handed in, within limits (see the module)."""

    max_mb = Float(200.0, help="the most one student's archive may unpack to, in MB").tag(config=True)
    max_members = Int(2000, help="the most files and folders one student's archive may hold").tag(config=True)
    max_depth = Int(2, help="1: unpack the download alone; 2: the archives in it too; 3: and the archives in "
                            "those").tag(config=True)
    download_max_mb = Float(20000.0, help="the most the platform's download may unpack to, in MB").tag(config=True)
    download_max_members = Int(200000, help="the most files the platform's download may hold").tag(config=True)
    problems_path = Unicode("", help="where to write the archives that could not be unpacked (JSON)").tag(config=True)

    def extract(self, archive_path: str, extracted_path: str) -> None:
        self.problems: list[dict] = []
        source, extracted = Path(archive_path), Path(extracted_path)
        unpacker = Unpacker(extracted, self.max_depth, int(self.max_mb * MB), self.max_members, self.problems)
        try:
            for entry in sorted(source.iterdir()):
                self.take(entry, extracted, unpacker)
        finally:
            if self.problems_path:
                Path(self.problems_path).write_text(json.dumps(self.problems, indent=1))

    def take(self, entry: Path, extracted: Path, unpacker: Unpacker) -> None:
        """Unpack one file of archive/ (the download) into extracted/, or copy it there if it is no archive."""
        mode = os.lstat(entry).st_mode
        if not stat.S_ISREG(mode):
            self.problems.append({"file": entry.name, "why": f"{kind(mode)}: left out", "unpacked": False})
            return
        if not suffix(entry.name):
            shutil.copyfile(entry, extracted / entry.name, follow_symlinks=False)
            return
        into = free_folder(extracted / entry.name)
        free = shutil.disk_usage(extracted).free
        budget = Budget(min(int(self.download_max_mb * MB), free), self.download_max_members)
        try:
            unpacker.tree(entry, into, 1, budget)
        except Broken as error:
            shutil.rmtree(into, ignore_errors=True)
            message = (f"the download {entry.name} could not be unpacked: {error}; what was unpacked of it is removed."
                       " If it is the platform's download as made, raise c.UnpackWithLimits.download_max_mb (or free "
                       f"disk space: {free / MB:.0f} MB free)")
            self.problems.append({"file": entry.name, "why": message, "unpacked": False, "download": True})
            self.log.error(message)
            raise RuntimeError(message) from None
