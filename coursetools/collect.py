"""`make collect`: a learning platform's download (or a JupyterHub exchange's submissions) into submitted/, with a report.

Each run works in its own folder, downloads/<lesson>/<time>/: the zip as given (archive/), nbgrader's zip_collect
unpacks it within limits (extracted/, coursetools/archives.py) and collects it (collected/), with
coursetools/collector.py deciding which file is whose; or nbgrader's collect takes the exchange's submissions by their
owners and the file system's times (coursetools/exchange_collect.py). Only then is submitted/ changed, through
coursetools/plain_copy.py (no link is followed): a new submission is added, a changed notebook replaces the old, whose
folder moves to archive/submitted/<student>/<lesson>/<time>/ first, and an unchanged notebook is left alone with its
timestamp.txt (which the instructor may have corrected). A notebook older than the one collected before (a lower
Canvas submission id) is not collected. Nothing is deleted.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import stat
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from coursetools.exchange_collect import report_lines as exchange_lines
from coursetools.grading import course_api
from coursetools.platforms import LearningPlatform
from coursetools.nbgrader_cli import assignments, gradebook_url, nbgrader
from coursetools.participants import remember
from coursetools.plain_copy import copy_plain
from coursetools.roster import read_roster

COLLECTOR = "coursetools.collector.PlatformCollector"
EXTRACTOR = "coursetools.archives.UnpackWithLimits"
EXCHANGE_COLLECT = "coursetools.exchange_collect.CollectFromTheExchange"


def due_date(root: Path, lesson: str):
    """The lesson's due date in the gradebook (a UTC datetime), or None."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(gradebook_url(root)) as gradebook:
        try:
            return gradebook.find_assignment(lesson).duedate
        except MissingEntry:
            raise KeyError(f"{lesson} is not released yet: run make release LESSON={lesson} first") from None


def entries(folder: Path) -> dict[str, bool]:
    """Every path below `folder` (timestamp.txt at its top aside), found without following a link: whether each is a
    regular file (a folder, a link or anything else is not)."""
    found = {}
    for top, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(top) / name
            found[path.relative_to(folder).as_posix()] = stat.S_ISREG(os.lstat(path).st_mode)
    found.pop("timestamp.txt", None)
    return found


def same_work(a: Path, b: Path) -> bool:
    """Whether two submission folders hold the same regular files with the same bytes (and nothing else),
    timestamp.txt aside."""
    listed = [entries(folder) for folder in (a, b)]
    return listed[0] == listed[1] and all(filecmp.cmp(a / n, b / n, shallow=False) for n, plain in listed[0].items()
                                          if plain)


def install(root: Path, staged: Path, lesson: str, stamp: str, older: set[str]) -> dict[str, list[str]]:
    """Copy each staged <student>/<lesson>/ into submitted/ (no link followed), archiving what it replaces, except
    `older` ones; who was added, replaced, unchanged or kept since this download's file is older, and what was left
    out ("skipped")."""
    done: dict[str, list[str]] = {"added": [], "replaced": [], "unchanged": [], "older": [], "skipped": []}
    for folder in sorted(staged.glob(f"*/{lesson}")):
        student = folder.parent.name
        target = root / "submitted" / student / lesson
        if target.exists() and same_work(folder, target):
            done["unchanged"].append(student)
            continue
        if target.exists() and student in older:
            done["older"].append(student)
            continue
        if target.exists():
            keep = root / "archive" / "submitted" / student / lesson / stamp
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(target, keep)
            done["replaced"].append(student)
        else:
            done["added"].append(student)
        target.parent.mkdir(parents=True, exist_ok=True)
        # The copy's modes are the course's (0640: the course's other graders, its group, read it), not the student's.
        done["skipped"] += [f"{student}: {item}" for item in copy_plain(folder, target)]
    return done


def run_folder(root: Path, lesson: str) -> tuple[Path, str]:
    """A new folder for this run, downloads/<lesson>/<time>/, and its time stamp."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = root / "downloads" / lesson / stamp
    while folder.exists():  # two runs in one second
        stamp += "b"
        folder = root / "downloads" / lesson / stamp
    folder.mkdir(parents=True)
    return folder, stamp


def check_lesson(root: Path, lesson: str) -> None:
    """Refuse a lesson the course does not have."""
    if lesson not in assignments(root):
        raise KeyError(f"LESSON={lesson!r} is not a lesson of this course (the lessons are {', '.join(assignments(root))})")


def from_zip(root: Path, download: Path, lesson: str) -> int:
    """Collect a platform's bulk download of one lesson into submitted/ and print the report; 0 if all went in."""
    check_lesson(root, lesson)
    if not download.is_file():
        raise FileNotFoundError(f"ZIP={download}: no such file (give the zip the platform's download saved)")
    if not zipfile.is_zipfile(download):
        raise ValueError(f"ZIP={download} is not a zip file")
    members = read_roster(root)
    due = due_date(root, lesson)
    folder, stamp = run_folder(root, lesson)
    (folder / "archive").mkdir()
    shutil.copy2(download, folder / "archive" / download.name)
    late = (due + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S UTC") if due else ""
    relative = folder.relative_to(root)
    log = root / "logs" / "collect" / f"{lesson}-{stamp}.log"
    result = nbgrader(root, "zip_collect", lesson, f"--collector={COLLECTOR}", f"--extractor={EXTRACTOR}",
                      f"--UnpackWithLimits.problems_path={folder / 'archives.json'}",
                      f"--ZipCollectApp.collect_directory_structure={relative}/{{collect_step}}",
                      f"--CourseDirectory.submitted_directory={relative}/collected",
                      f"--PlatformCollector.late_timestamp={late}",
                      f"--PlatformCollector.decisions_path={folder / 'decisions.json'}", log=log)
    if result.returncode != 0 or not (folder / "decisions.json").is_file():
        problems = json.loads((folder / "archives.json").read_text()) if (folder / "archives.json").is_file() else []
        reasons = [p["why"] for p in problems if p.get("download")]
        print(f"nbgrader zip_collect failed; see {log.relative_to(root)}" + "".join(f"\n  {r}" for r in reasons))
        return 1
    decisions = json.loads((folder / "decisions.json").read_text())
    record = root / "collected" / f"{lesson}.json"
    before = {d["student"]: d for d in json.loads(record.read_text())} if record.is_file() else {}
    older = {d["student"] for d in decisions["collected"]  # only a platform that numbers submissions (Canvas) tells
             if d["order"][0] and before.get(d["student"], {}).get("order", [0, 0])[0] > d["order"][0]}
    done = install(root, folder / "collected", lesson, stamp, older)
    kept = set(done["older"])
    by_hand = [d for d in decisions["ambiguous"] if (root / "submitted" / d["student"] / lesson).is_dir()]
    now = {d["student"]: d for d in decisions["collected"] + by_hand if d["student"] not in kept}
    record.parent.mkdir(exist_ok=True)
    record.write_text(json.dumps(list((before | now).values()), indent=1))  # whose file is whose: make feedback's zip
    remember(root, lesson, {pid: tuple(learned) for pid, learned in decisions.get("participants", {}).items()})
    text = report(root, lesson, decisions, done, members, "zip" if due else "", relative)
    (folder / "report.txt").write_text(text)
    print(text, end="")
    failed = ([d for d in decisions["ambiguous"] if d not in by_hand] + decisions["unknown"] + decisions["same_name"]
              + decisions.get("refused", []) + unplaced_notebooks(decisions))
    if not decisions["collected"]:
        print(f"  NO notebook of {lesson} was collected from this download: is it the platform's download of this "
              f"lesson, and is c.LearningPlatform.name ({LearningPlatform(config=course_api(root).config).name}) "
              "its platform?")
        return 1
    return 1 if failed else 0


def unplaced_notebooks(decisions: dict) -> list[str]:
    """The notebooks at the top of the download (<the zip's folder>/<file>) that are not named as the platform names
    a submission, so belong to nobody; not those inside a student's own archive, which are never submissions."""
    return [name for name in decisions.get("not_named", []) if name.endswith(".ipynb") and name.count("/") == 1]


def from_exchange(root: Path, lesson: str) -> int:
    """Collect what students submitted through the JupyterHub exchange (nbgrader collect, with the course's
    coursetools/exchange_collect.py), then report as for a zip; 0 if nothing needs a look."""
    check_lesson(root, lesson)
    members = read_roster(root) if (root / "roster.csv").is_file() else []
    due = due_date(root, lesson)
    api = course_api(root)
    exchange = Path(api.config.Exchange.root)
    inbound = exchange / api.config.CourseDirectory.course_id / "inbound"
    if not exchange.is_dir():
        raise FileNotFoundError(f"no exchange folder {exchange}: make it as the README's \"On a JupyterHub\" says, or "
                                "set NBGRADER_EXCHANGE to the hub's; for a platform's download, give ZIP=")
    if not inbound.is_dir():
        raise FileNotFoundError(f"nothing was released to the exchange {exchange} yet: run "
                                f".venv/bin/nbgrader release_assignment {lesson} first")
    folder, stamp = run_folder(root, lesson)
    relative = folder.relative_to(root)
    api = course_api(root, {"CourseDirectory": {"submitted_directory": f"{relative}/collected"},
                            "ExchangeFactory": {"collect": EXCHANGE_COLLECT},
                            "CollectFromTheExchange": {"decisions_path": str(folder / "decisions.json")}})
    result = api.collect(lesson, update=True)
    log = root / "logs" / "collect" / f"{lesson}-{stamp}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.get("log", "") + result.get("error", ""))
    if not result["success"] or not (folder / "decisions.json").is_file():
        print(f"nbgrader collect failed; see {log.relative_to(root)}")
        return 1
    found = json.loads((folder / "decisions.json").read_text())
    staged = folder / "collected"
    students = sorted(d["student"] for d in found["collected"])
    decisions = {"collected": [{"student": s, "file": f"{s}/{lesson}", "late": is_late(staged / s / lesson, due),
                                "misnamed": False} for s in students]}
    done = install(root, staged, lesson, stamp, older=set())
    strangers = sorted(set(students) - {m.id for m in members}) if members else []
    lines, attention = exchange_lines(found)
    if strangers:
        lines.insert(0, f"  collected, though not on the roster: {', '.join(strangers)}")
    text = report(root, lesson, decisions, done, members, "exchange" if due else "", relative, lines)
    (folder / "report.txt").write_text(text)
    print(text, end="")
    return 1 if attention else 0


def is_late(folder: Path, due) -> bool:
    """Whether the timestamp.txt nbgrader's exchange wrote in `folder` is after `due`."""
    from nbgrader.utils import parse_utc

    stamp = folder / "timestamp.txt"
    return bool(due and stamp.is_file() and parse_utc(stamp.read_text().strip()) > due)


LATE = {"zip": "; timestamp.txt is one second after the due date (the download says late, not by how much)",
        "exchange": "; timestamp.txt holds the time the exchange's file system recorded, not the student's claim",
        "": "; the lesson has no due date, so no penalty applies: set one with nbgrader db assignment add {lesson} "
            "--duedate=..., then make collect again"}


def report(root: Path, lesson: str, decisions: dict, done: dict, members: list, source: str, folder: Path,
           extra: list[str] = ()) -> str:
    """The run's report: collected, late, resubmitted, misnamed, unknown, who on the roster handed in nothing, and
    the `extra` lines (the exchange's)."""
    lines = [f"{lesson}: collected {len(decisions['collected']) - len(done['older'])} ({len(done['added'])} new, "
             f"{len(done['replaced'])} replacing an earlier collect, kept in archive/submitted/; "
             f"{len(done['unchanged'])} unchanged)"]
    if done["replaced"]:
        lines.append(f"  replaced: {', '.join(done['replaced'])}")
    for student in done["older"]:
        lines.append(f"  NOT replaced: {student}'s file in this download is older than the one collected before, "
                     "which is kept (is this an older download?)")
    late = [d["student"] for d in decisions["collected"] if d["late"] and d["student"] not in done["older"]]
    if late:
        lines.append(f"  late ({len(late)}): {', '.join(late)}" + LATE[source].format(lesson=lesson))
    for d in decisions.get("superseded", []):
        lines.append(f"  resubmitted: {d['student']}: {d['winner']} is graded; {d['file']} is kept, not graded")
    for d in decisions["collected"]:
        if d["misnamed"]:
            lines.append(f"  misnamed, matched: {d['file']} is {d['student']}'s only notebook, collected as {lesson}.ipynb")
    for d in decisions.get("ambiguous", []):
        target = f"submitted/{d['student']}/{lesson}/{lesson}.ipynb"
        if (root / target).is_file():
            lines.append(f"  several notebooks, none named {lesson}.ipynb: {d['student']}; {target}, put there by "
                         "hand, is kept")
        else:
            lines.append(f"  misnamed, NOT collected: {d['student']} handed in {d['files']}, none named "
                         f"{lesson}.ipynb\n    fix: copy the right one from {folder}/extracted/ to {target}")
    for d in decisions.get("same_name", []):
        other = ("no grading worksheet says which participant is which (make roster CSV=<Grades-...csv>)"
                 if d.get("participant") else "the download names no other id")
        lines.append(f"  NOT collected: {d['file']}: {', '.join(d['students'])} on the roster are all named "
                     f"{d['name']!r}, and {other}\n    fix: copy it by hand to "
                     f"submitted/<the right one>/{lesson}/{lesson}.ipynb")
    for d in decisions.get("unknown", []):
        lines.append(f"  NOT collected: {d['file']}: {d['platform']!r} is not on the roster\n"
                     "    fix: export the class list again, make roster CSV=<export>, then make collect again")
    for d in decisions.get("refused", []):
        lines.append(f"  NOT collected: {d['file']}: {d['why']}\n    fix: import the lesson's grading worksheet "
                     "(make roster CSV=<Grades-...csv>), which says who each participant is, then make collect again")
    for d in decisions.get("renamed", []):
        lines.append(f"  name differs: participant {d['participant']} is {d['student']} ({d['roster']!r} on the "
                     f"roster) but the download names them {d['name']!r}: collected as {d['student']}'s, by the id")
    for d in decisions.get("broken_archives", []):
        whose = f" of {d['student']}" if d.get("student") else ""
        if d.get("unpacked"):
            lines.append(f"  archive{whose}: {d['file']}: {d['why']} (no link or special file is ever unpacked)")
        else:
            lines.append(f"  archive{whose} NOT unpacked: {d['file']}: {d['why']}; what was unpacked of it is removed, "
                         f"the file is kept as handed in, in {folder}/extracted/ (an archive is never a submission)")
    for entry in done.get("skipped", []):
        lines.append(f"  left out of submitted/: {entry}: never followed or copied")
    for name in decisions.get("test_student", []):
        lines.append(f"  skipped: {name} (Canvas's Test Student)")
    for name in decisions.get("not_notebooks", []):
        lines.append(f"  skipped: {name} (not a notebook)")
    for name in decisions.get("not_named", []):
        if name in unplaced_notebooks(decisions):
            lines.append(f"  NOT collected: {name}: a notebook not named as the platform names a file submission, "
                         f"so nobody's\n    fix: copy it by hand to submitted/<student>/{lesson}/{lesson}.ipynb")
        else:
            lines.append(f"  skipped: {name} (not named as the platform names a file submission)")
    handed_in = {p.parent.name for p in (root / "submitted").glob(f"*/{lesson}")}
    missing = sorted(m.id for m in members if m.id not in handed_in)
    if missing:
        lines.append(f"  on the roster, nothing handed in ({len(missing)}): {', '.join(missing)}")
    lines += extra
    what = "the zip, every file unpacked" if (root / folder / "archive").is_dir() else "what was collected"
    lines.append(f"  this run's files: {folder}/ (report.txt, {what})")
    return "\n".join(lines) + "\n"
