"""`make collect`: a learning platform's download (or a JupyterHub exchange's submissions) into submitted/, with a report.

Each run works in its own folder, downloads/<lesson>/<time>/: the zip as given (archive/), nbgrader's zip_collect
unpacks it (extracted/) and collects it (collected/), with coursetools/collector.py deciding which file is whose.
Only then is submitted/ changed: a new submission is added, a changed one replaces the old, which moves to
archive/submitted/<student>/<lesson>/<time>/ first, and an unchanged one is left alone. Nothing is deleted.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from coursetools.grading import course_api
from coursetools.nbgrader_cli import assignments, gradebook_url, nbgrader
from coursetools.roster import read_roster

COLLECTOR = "coursetools.collector.PlatformCollector"


def due_date(root: Path, lesson: str):
    """The lesson's due date in the gradebook (a UTC datetime), or None."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(gradebook_url(root)) as gradebook:
        try:
            return gradebook.find_assignment(lesson).duedate
        except MissingEntry:
            raise KeyError(f"{lesson} is not released yet: run make release LESSON={lesson} first") from None


def same_folder(a: Path, b: Path) -> bool:
    """Whether two submission folders hold the same files with the same bytes."""
    names = sorted(p.name for p in a.iterdir()), sorted(p.name for p in b.iterdir())
    return names[0] == names[1] and all(filecmp.cmp(a / n, b / n, shallow=False) for n in names[0])


def install(root: Path, staged: Path, lesson: str, stamp: str) -> dict[str, list[str]]:
    """Move each staged <student>/<lesson>/ into submitted/, archiving what it replaces; who was added, replaced, kept."""
    done: dict[str, list[str]] = {"added": [], "replaced": [], "unchanged": []}
    for folder in sorted(staged.glob(f"*/{lesson}")):
        student = folder.parent.name
        target = root / "submitted" / student / lesson
        if target.exists() and same_folder(folder, target):
            done["unchanged"].append(student)
            continue
        if target.exists():
            keep = root / "archive" / "submitted" / student / lesson / stamp
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(target, keep)
            done["replaced"].append(student)
        else:
            done["added"].append(student)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(folder, target)
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
    result = nbgrader(root, "zip_collect", lesson, f"--collector={COLLECTOR}",
                      f"--ZipCollectApp.collect_directory_structure={relative}/{{collect_step}}",
                      f"--CourseDirectory.submitted_directory={relative}/collected",
                      f"--PlatformCollector.late_timestamp={late}",
                      f"--PlatformCollector.decisions_path={folder / 'decisions.json'}", log=log)
    if result.returncode != 0 or not (folder / "decisions.json").is_file():
        print(f"nbgrader zip_collect failed; see {log.relative_to(root)}")
        return 1
    decisions = json.loads((folder / "decisions.json").read_text())
    done = install(root, folder / "collected", lesson, stamp)
    (root / "collected").mkdir(exist_ok=True)
    shutil.copy(folder / "decisions.json", root / "collected" / f"{lesson}.json")  # what make feedback's zip names
    text = report(root, lesson, decisions, done, members, bool(due), relative)
    (folder / "report.txt").write_text(text)
    print(text, end="")
    return 1 if decisions["ambiguous"] or decisions["unknown"] else 0


def from_exchange(root: Path, lesson: str) -> int:
    """Collect what students submitted through the JupyterHub exchange (nbgrader collect), then report as for a zip."""
    check_lesson(root, lesson)
    members = read_roster(root) if (root / "roster.csv").is_file() else []
    due = due_date(root, lesson)
    folder, stamp = run_folder(root, lesson)
    relative = folder.relative_to(root)
    api = course_api(root, {"CourseDirectory": {"submitted_directory": f"{relative}/collected"}})
    result = api.collect(lesson, update=True)
    (root / "logs" / "collect").mkdir(parents=True, exist_ok=True)
    (root / "logs" / "collect" / f"{lesson}-{stamp}.log").write_text(result.get("log", "") + result.get("error", ""))
    if not result["success"]:
        print(f"nbgrader collect failed: {result.get('error', '')[-500:]}")
        return 1
    staged = folder / "collected"
    students = sorted(p.parent.name for p in staged.glob(f"*/{lesson}"))
    decisions = {"collected": [{"student": s, "file": f"{s}/{lesson}", "late": is_late(staged / s / lesson, due),
                                "misnamed": False} for s in students]}
    done = install(root, staged, lesson, stamp)
    text = report(root, lesson, decisions, done, members, bool(due), relative)
    (folder / "report.txt").write_text(text)
    print(text, end="")
    return 0


def is_late(folder: Path, due) -> bool:
    """Whether the timestamp.txt nbgrader's exchange wrote in `folder` is after `due`."""
    from nbgrader.utils import parse_utc

    stamp = folder / "timestamp.txt"
    return bool(due and stamp.is_file() and parse_utc(stamp.read_text().strip()) > due)


def report(root: Path, lesson: str, decisions: dict, done: dict, members: list, has_due: bool, folder: Path) -> str:
    """The run's report: collected, late, resubmitted, misnamed, unknown, and who on the roster handed in nothing."""
    lines = [f"{lesson}: collected {len(decisions['collected'])} ({len(done['added'])} new, {len(done['replaced'])} "
             f"replacing an earlier collect, kept in archive/submitted/; {len(done['unchanged'])} unchanged)"]
    late = [d["student"] for d in decisions["collected"] if d["late"]]
    if late:
        lines.append(f"  late ({len(late)}): {', '.join(late)}" + (
            "; timestamp.txt is one second after the due date (the download says late, not by how much)" if has_due
            else "; the lesson has no due date, so no penalty applies: set one with nbgrader db assignment add "
                 f"{lesson} --duedate=..., then make collect again"))
    for d in decisions.get("superseded", []):
        lines.append(f"  resubmitted: {d['student']}: {d['winner']} is graded; {d['file']} is kept, not graded")
    for d in decisions["collected"]:
        if d["misnamed"]:
            lines.append(f"  misnamed, matched: {d['file']} is {d['student']}'s only notebook, collected as {lesson}.ipynb")
    for d in decisions.get("ambiguous", []):
        lines.append(f"  misnamed, NOT collected: {d['student']} handed in {d['files']}, none named {lesson}.ipynb\n"
                     f"    fix: copy the right one from {folder}/extracted/ to "
                     f"submitted/{d['student']}/{lesson}/{lesson}.ipynb")
    for d in decisions.get("unknown", []):
        lines.append(f"  NOT collected: {d['file']}: {d['platform']!r} is not on the roster\n"
                     "    fix: export the class list again, make roster CSV=<export>, then make collect again")
    for name in decisions.get("not_notebooks", []):
        lines.append(f"  skipped: {name} (not a notebook)")
    for name in decisions.get("not_named", []):
        lines.append(f"  skipped: {name} (not named as the platform names a file submission)")
    handed_in = {p.parent.name for p in (root / "submitted").glob(f"*/{lesson}")}
    missing = sorted(m.id for m in members if m.id not in handed_in)
    if missing:
        lines.append(f"  on the roster, nothing handed in ({len(missing)}): {', '.join(missing)}")
    lines.append(f"  this run's files: {folder}/ (report.txt, the zip, every file unpacked)")
    return "\n".join(lines) + "\n"
