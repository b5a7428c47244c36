"""nbgrader's exchange collect for this course: the file system says whose a submission is and when it came, not the
names a student wrote.

A student's server submits into the exchange's inbound/ a folder `<student>+<lesson>+<time>[+<random>]` holding the
notebooks and a timestamp.txt. The name and the file are the student's words: any user of the hub can write a folder
there under a classmate's name or with an earlier time, and nbgrader's own collect believes both (its owner check only
logs a warning) and follows links with the instructor's rights. This one:
- credits a folder to the user who owns it (its uid, resolved to a name with pwd); a folder named for someone else is
  collected for neither of them and reported as impersonation;
- believes the name only where the owner cannot tell students apart, and says so: a folder owned by the instructor's
  own uid (a test, or a hub that runs every user under one uid with the instructor), by a user in `shared_users` (a
  hub whose containers all run as jovyan: c.CollectFromTheExchange.shared_users = ["jovyan"]), or every folder when
  c.ExchangeCollect.check_owner is False. Nothing can then keep one student from handing in under another's name;
- dates a submission by the exchange's own record: the latest change (mtime or ctime, and no user can set a ctime
  back) of the folder or anything in it, never timestamp.txt or the folder's name. A claim more than
  `max_skew_seconds` away from it is reported, and the timestamp.txt written into submitted/ holds the trusted time,
  which nbgrader's late penalty reads. (A restored backup of the exchange, or a chmod or chown of it, dates
  everything at that moment: collect before either.);
- copies through coursetools/plain_copy.py: no link, device or pipe is followed, each one left out is named, and a
  folder over nbgrader's max_dir_size is refused, not the whole collect.
Its decisions go to `decisions_path` (JSON) for make collect's report. nbgrader_config.py makes it the collect of
`nbgrader collect` and of the formgrader's Collect button too (c.ExchangeFactory.collect), where a submission it
replaces in submitted/ is moved to archive/submitted/<student>/<lesson>/<time>/ rather than deleted.
"""

from __future__ import annotations

import fnmatch
import json
import os
import pwd
import shutil
import stat
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc
from traitlets import Float, List, Unicode

from coursetools.plain_copy import MAX_DEPTH, TooLarge, copy_plain, deeper_than, kind, read_small

STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


@dataclass(frozen=True)
class Inbound:
    """One folder of the exchange's inbound/, as the file system and as its name describe it."""

    folder: str
    claimed: str  # the student its name gives
    owner: str  # the user who owns it ("uid 1234" where pwd knows no name)
    owner_uid: int
    trusted: str  # the exchange's time for it, STAMP_FORMAT
    name_time: str  # the time its name gives
    stamp_time: str  # what its timestamp.txt says ("" if it has none)


def owner_name(uid: int) -> str:
    """The user name of `uid`, or "uid N" where the system knows none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def last_change(folder: Path) -> float:
    """The latest mtime or ctime of `folder` and of everything in it, through no link (the exchange's own record
    of when its content last changed: a user may set an mtime back, but setting it moves the ctime to now)."""
    latest = max(os.lstat(folder).st_mtime, os.lstat(folder).st_ctime)
    for _, folders, files, top_fd in os.fwalk(folder, follow_symlinks=False):
        for name in folders + files:
            try:
                info = os.stat(name, dir_fd=top_fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            latest = max(latest, info.st_mtime, info.st_ctime)
    return latest


def utc_text(seconds: float) -> str:
    """A time in seconds since the epoch, as timestamp.txt holds it."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime(STAMP_FORMAT)


def parse_name(name: str, lesson: str) -> tuple[str, str]:
    """The student and the time that an inbound folder's name claims ("<student>+<lesson>+<time>[+<random>]")."""
    claimed, _, rest = name.partition(f"+{lesson}+")
    return claimed, rest.rsplit("+", 1)[0] if "+" in rest else rest


def survey(inbound: Path, lesson: str, student: str = "") -> tuple[list[Inbound], list[dict]]:
    """The folders of `inbound` for `lesson` (and `student`, if given), and the entries named so that are no folders."""
    found, not_folders = [], []
    for entry in sorted(os.scandir(inbound), key=lambda e: e.name):
        claimed, name_time = parse_name(entry.name, lesson)
        if f"+{lesson}+" not in entry.name or (student not in ("", "*") and claimed != student):
            continue
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISDIR(info.st_mode):
            not_folders.append({"name": entry.name, "why": kind(info.st_mode) if not stat.S_ISREG(info.st_mode)
                                else "a file", "owner": owner_name(info.st_uid)})
            continue
        folder = inbound / entry.name
        if deeper_than(folder):  # walking it could fail the whole collect
            not_folders.append({"name": entry.name, "why": f"folders nested more than {MAX_DEPTH} deep",
                                "owner": owner_name(info.st_uid)})
            continue
        stamp = read_small(folder, "timestamp.txt")
        found.append(Inbound(entry.name, claimed, owner_name(info.st_uid), info.st_uid, utc_text(last_change(folder)),
                             name_time, (stamp or "").strip()))
    return found, not_folders


def is_student_id(name: str) -> bool:
    """Whether a folder's claimed student can be a student id: a folder name of submitted/, not "..", ".x" or "-x"."""
    return bool(name) and name not in (".", "..") and not name.startswith((".", "-")) and not set(name) & set("/\\\0")


def basis(entry: Inbound, instructor_uid: int, shared_users: set[str], check_owner: bool = True) -> str:
    """Why `entry` counts for the student its name gives: "owner" (that student owns it), "unchecked" (its owner
    cannot tell students apart, see the module's docstring), or "impersonation" (someone else owns it)."""
    if entry.owner == entry.claimed and entry.owner_uid != instructor_uid:
        return "owner"
    if not check_owner or entry.owner_uid == instructor_uid or entry.owner in shared_users:
        return "unchecked"
    return "impersonation"


def seconds_between(a: str, b: str) -> float | None:
    """How far apart two time stamps are, in seconds; None if either cannot be read as one."""
    try:
        return (parse_utc(a) - parse_utc(b)).total_seconds()
    except (ValueError, OverflowError, TypeError):
        return None


def time_claims(entry: Inbound, skew: float) -> dict[str, str]:
    """What the folder's name and its timestamp.txt claim, where either is more than `skew` seconds away from the
    trusted time or cannot be read: {where: what it says}."""
    claims = {}
    for where, said in (("folder name", entry.name_time), ("timestamp.txt", entry.stamp_time)):
        apart = seconds_between(said, entry.trusted) if said else 0.0
        if apart is None or abs(apart) > skew:
            claims[where] = said[:80]
    return claims


def earlier(entry: Inbound, claims: dict[str, str]) -> bool:
    """Whether any of `claims` puts the submission before its trusted time (back-dating)."""
    return any((seconds_between(said, entry.trusted) or 0.0) < 0 for said in claims.values())


def choose(entries: list[Inbound], instructor_uid: int, shared_users: set[str], check_owner: bool, skew: float,
           duedate: datetime | None = None, before_duedate: bool = False) -> tuple[dict[str, Inbound], dict]:
    """Each student's submission to collect (the newest by the trusted time, or the newest before `duedate`), and the
    decisions about every folder, for the report."""
    decisions: dict[str, list] = {"impersonation": [], "unchecked": [], "time_claims": [], "bad_names": []}
    by_student: dict[str, list[Inbound]] = {}
    for entry in entries:
        if not is_student_id(entry.claimed):
            decisions["bad_names"].append({"folder": entry.folder, "owner": entry.owner})
            continue
        why = basis(entry, instructor_uid, shared_users, check_owner)
        if why == "impersonation":
            decisions["impersonation"].append({"folder": entry.folder, "owner": entry.owner, "claimed": entry.claimed})
            continue
        if why == "unchecked":
            decisions["unchecked"].append({"folder": entry.folder, "owner": entry.owner, "claimed": entry.claimed})
        by_student.setdefault(entry.claimed, []).append(entry)
        claims = time_claims(entry, skew)
        if claims:
            decisions["time_claims"].append({"student": entry.claimed, "folder": entry.folder, "trusted": entry.trusted,
                                             "claims": claims, "earlier": earlier(entry, claims)})
    chosen = {}
    for student, mine in by_student.items():
        mine = sorted(mine, key=lambda e: parse_utc(e.trusted), reverse=True)
        on_time = [e for e in mine if duedate and parse_utc(e.trusted) <= duedate]
        chosen[student] = on_time[0] if before_duedate and on_time else mine[0]
    return chosen, decisions


class CollectFromTheExchange(ExchangeCollect):
    """Collect the exchange's submissions by their owners and the file system's times, through no link."""

    decisions_path = Unicode("", help="where to write what was decided about each inbound folder (JSON)"
                             ).tag(config=True)
    shared_users = List(Unicode(), help="users whose folders cannot show which student wrote them (a hub that runs "
                                        "every student as one user, jovyan): their folders' names are believed"
                        ).tag(config=True)
    max_skew_seconds = Float(60.0, help="how far a submission's claimed time may be from the exchange's before it is "
                                        "reported").tag(config=True)

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.inbound_path = os.path.join(self.root, self.coursedir.course_id, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gradebook:
            try:
                self.duedate = gradebook.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        entries, not_folders = survey(Path(self.inbound_path), self.coursedir.assignment_id, self.coursedir.student_id)
        self.chosen, self.decisions = choose(entries, os.geteuid(), set(self.shared_users), self.check_owner,
                                             self.max_skew_seconds, self.duedate, self.before_duedate)
        self.decisions |= {"not_folders": not_folders, "collected": [], "refused": [], "kept": []}
        for item in self.decisions["impersonation"]:
            self.log.error("%s is owned by %s but named for %s: impersonation? Not collected.", item["folder"],
                           item["owner"], item["claimed"])

    def leave_out(self, name: str) -> bool:
        """Whether a file or folder is not copied: the student's own timestamp.txt, and what the course ignores."""
        return name == "timestamp.txt" or any(fnmatch.fnmatch(name, glob) for glob in self.coursedir.ignore)

    def copy_files(self):
        lesson = self.coursedir.assignment_id
        if not self.chosen:
            self.log.warning("No submissions of '%s' for course '%s' to collect", lesson, self.coursedir.course_id)
        for student, entry in sorted(self.chosen.items()):
            dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, lesson))
            if dest.exists() and not self.make_room(dest, entry):
                self.decisions["kept"].append({"student": student, "folder": entry.folder})
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                skipped = copy_plain(Path(self.inbound_path) / entry.folder, dest, self.leave_out,
                                     1000 * self.coursedir.max_file_size, 1000 * self.coursedir.max_dir_size)
            except (TooLarge, OSError) as error:
                self.log.error("%s: not collected: %s", entry.folder, error)
                self.decisions["refused"].append({"student": student, "folder": entry.folder, "why": str(error)})
                continue
            after = utc_text(last_change(Path(self.inbound_path) / entry.folder))  # changed while it was copied?
            trusted = max(entry.trusted, after, key=parse_utc)
            (dest / "timestamp.txt").write_text(trusted)
            (dest / "timestamp.txt").chmod(0o640)
            for item in skipped:
                self.log.warning("%s: left out %s", entry.folder, item)
            self.decisions["collected"].append({"student": student, "folder": entry.folder, "time": trusted,
                                                "skipped": [str(s) for s in skipped], "inbound": asdict(entry)})
        if self.decisions_path:
            Path(self.decisions_path).write_text(json.dumps(self.decisions, indent=1))

    def make_room(self, dest: Path, entry: Inbound) -> bool:
        """Move an earlier collected submission out of `dest` to archive/submitted/, if `entry` should replace it;
        whether it was moved (nbgrader's own collect deletes it)."""
        existing = self.coursedir.get_existing_timestamp(str(dest))
        if not self.update or (existing is not None and parse_utc(entry.trusted) <= existing):
            return False
        keep = Path(self.coursedir.root) / "archive" / "submitted" / dest.parent.name / dest.name
        keep /= time.strftime("%Y%m%d-%H%M%S")
        while keep.exists():  # two collects in one second
            keep = keep.with_name(keep.name + "b")
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(dest, keep)
        return True


def report_lines(decisions: dict) -> tuple[list[str], bool]:
    """make collect's report of what the exchange's collect decided, and whether any of it needs the instructor."""
    lines = []
    for d in decisions.get("impersonation", []):
        lines.append(f"  NOT collected, impersonation?: inbound/{d['folder']} is owned by {d['owner']} but named for "
                     f"{d['claimed']}; it counts for neither ({d['claimed']}'s own folders are collected as usual) and "
                     "is left in the exchange: look at it")
    if decisions.get("impersonation"):
        lines.append("    if every student of this hub runs as one user, so that no folder is owned by its student, "
                     "set "
                     "c.CollectFromTheExchange.shared_users = ['<that user>'] in nbgrader_config.py (the names are "
                     "then believed, unchecked)")
    unchecked: dict[str, list[str]] = {}
    for d in decisions.get("unchecked", []):
        unchecked.setdefault(d["owner"], []).append(d["claimed"])
    for owner, students in sorted(unchecked.items()):
        lines.append(f"  owner not checked ({len(students)}): inbound/ folders owned by {owner}, who can be any "
                     f"student (the instructor's own user, or a shared one): their names are believed, so who handed "
                     f"in each cannot be guaranteed: {', '.join(sorted(set(students)))}")
    for d in decisions.get("time_claims", []):
        what = "back-dated" if d["earlier"] else "time claimed differs"
        said = "; ".join(f"its {where} says {claim!r}" for where, claim in d["claims"].items())
        lines.append(f"  {what}: {d['student']}: inbound/{d['folder']}: {said}, the exchange's file system "
                     f"{d['trusted']}, which is the time used")
    for d in decisions.get("collected", []):
        if d["skipped"]:
            lines.append(f"  left out of {d['student']}'s submission (inbound/{d['folder']}): "
                         f"{'; '.join(d['skipped'])}: never followed or copied")
    for d in decisions.get("refused", []):
        lines.append(f"  NOT collected: {d['student']}: inbound/{d['folder']}: {d['why']} (CourseDirectory."
                     "max_dir_size and max_file_size, in KB); look at it in the exchange")
    for d in decisions.get("bad_names", []):
        lines.append(f"  NOT collected: inbound/{d['folder']} (owned by {d['owner']}) names no student id")
    for d in decisions.get("not_folders", []):
        lines.append(f"  NOT collected: inbound/{d['name']} is {d['why']}, not a folder (owned by {d['owner']})")
    attention = (any(decisions.get(k) for k in ("impersonation", "refused", "not_folders", "bad_names"))
                 or any(d["earlier"] for d in decisions.get("time_claims", []))
                 or any(d["skipped"] for d in decisions.get("collected", [])))
    return lines, attention
