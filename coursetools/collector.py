"""nbgrader's zip_collect plugin for a learning platform's download: which file is whose, and which one is graded.

nbgrader calls `collect` once per extracted file. On the first call the plugin reads every file name of the download
(coursetools/platforms.py says how the platform names them), finds each student in roster.csv, and decides:
- the newest of a student's notebooks for the lesson is collected; the earlier ones are kept in the download, not graded;
- a notebook under another name is collected if it is the student's only one (it is this lesson's: the download is);
- a file the platform marks late gets the timestamp `late_timestamp` (just after the due date);
- on Moodle, whose files carry a participant id, the id says whose a file is, never the full name alone
  (coursetools/participants.py): a student who renames herself to a classmate's name takes nobody's file;
- an archive that the extractor (coursetools/archives.py) could not unpack is reported against its student.
Its decisions go to `decisions_path` as JSON, for the report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode

from coursetools.participants import Matched, folded, match, read_participants
from coursetools.platforms import Download, LearningPlatform, parse
from coursetools.roster import Member, read_roster


class PlatformCollector(FileNameCollectorPlugin):
    """Collect a Canvas or Moodle download (or another platform's, see coursetools/platforms.py)."""

    late_timestamp = Unicode("", help="the timestamp given to a file the platform marks late").tag(config=True)
    decisions_path = Unicode("", help="where to write what was decided for each file (JSON)").tag(config=True)

    def collect(self, submitted_file: str) -> dict | None:
        if not hasattr(self, "_winners"):
            self._winners = self.decide()
        return self._winners.get(os.path.abspath(submitted_file))

    def decide(self) -> dict[str, dict]:
        """nbgrader's answer for each file that is collected, by absolute path; the rest goes to decisions_path."""
        app = self.parent
        lesson = app.coursedir.assignment_id
        extracted = Path(app._format_collect_path(app.extracted_directory))
        platform = LearningPlatform(parent=self)
        pattern, key = platform.pattern(), platform.key()
        members = read_roster(Path(app.coursedir.root))
        index: dict[str, list[str]] = {}
        for m in members:  # Moodle: the full name, where the file's participant id is not known (participants.py)
            index.setdefault(m.platform_user_id if key == "platform_id" else folded(m.full_name), []).append(m.id)
        report: dict[str, list] = {"collected": [], "superseded": [], "unknown": [], "not_named": [], "ambiguous": [],
                                   "not_notebooks": [], "same_name": [], "test_student": [], "refused": [],
                                   "renamed": [], "broken_archives": []}
        notebooks: list[Download] = []
        for path in sorted(p for p in extracted.rglob("*") if p.is_file() and not p.is_symlink()):
            relative = path.relative_to(extracted).as_posix()
            found = parse(pattern, key, relative)
            if found is None:
                report["not_named"].append(relative)
            elif not found.file.endswith(".ipynb"):
                report["not_notebooks"].append(relative)
            else:
                notebooks.append(found)
        matched = self.participants(notebooks, lesson, members, index)
        report["renamed"], report["participants"] = matched.renamed, matched.learned
        by_student: dict[str, list[Download]] = {}
        for found in notebooks:
            student = self.student_of(found, key, index, matched, report)
            if student:
                by_student.setdefault(student, []).append(found)
        report["broken_archives"] = self.broken_archives(pattern, key, index, matched)
        winners = {}
        for student, files in sorted(by_student.items()):
            named = [f for f in files if f.base == f"{lesson}.ipynb"]
            candidates = named or (files if len({f.base for f in files}) == 1 else [])
            if not candidates:
                report["ambiguous"].append({"student": student, "files": [f.path for f in files],
                                            "prefix": max(files, key=lambda f: f.order).prefix})
                continue
            newest = max(candidates, key=lambda f: (f.version, f.order, f.path))
            report["collected"].append({"student": student, "file": newest.path, "late": newest.late,
                                        "misnamed": newest.base != f"{lesson}.ipynb", "prefix": newest.prefix,
                                        "order": [newest.order, newest.version], "participant": newest.participant})
            report["superseded"] += [{"student": student, "file": f.path, "winner": newest.path}
                                     for f in files if f is not newest]
            answer = {"student_id": student, "file_id": f"{lesson}.ipynb"}
            if newest.late and self.late_timestamp:
                answer["timestamp"] = self.late_timestamp
            winners[str(extracted / newest.path)] = answer
        if self.decisions_path:
            Path(self.decisions_path).write_text(json.dumps(report, indent=1))
        return winners

    def participants(self, notebooks: list[Download], lesson: str, members: list[Member],
                     index: dict[str, list[str]]) -> Matched:
        """Which student each participant id of the download is (none, where the files carry none)."""
        if not any(f.participant for f in notebooks):
            return Matched({}, {}, [], [])
        known = {p.participant: p.student for p in read_participants(Path(self.parent.coursedir.root), lesson)}
        return match([f for f in notebooks if f.participant], known, index, {m.id: m.full_name for m in members})

    @staticmethod
    def student_of(found: Download, key: str, index: dict[str, list[str]], matched: Matched, report: dict) -> str:
        """The one student of the roster a notebook is by, or "" (and why, in `report`)."""
        if found.participant in matched.students:
            return matched.students[found.participant]
        refused = [r["why"] for r in matched.refused if found.participant and r["participant"] == found.participant]
        if refused:
            report["refused"].append({"file": found.path, "why": refused[0]})
            return ""
        students = index.get(found.student if key == "platform_id" else folded(found.student), [])
        if len(students) == 1 and not found.participant:
            return students[0]
        if students:  # two students of the roster go by this name: the file could be either's
            report["same_name"].append({"file": found.path, "name": found.student, "students": students,
                                        "participant": found.participant})
        elif key == "platform_id" and found.name == "studenttest":  # Canvas's Test Student ("Student, Test")
            report["test_student"].append(found.path)
        else:
            report["unknown"].append({"file": found.path, "platform": found.student})
        return ""

    def broken_archives(self, pattern, key: str, index: dict[str, list[str]], matched: Matched) -> list[dict]:
        """The archives the extractor could not unpack (coursetools/archives.py), each with its student if known."""
        extractor = getattr(self.parent, "extractor_plugin_inst", None)
        found = []
        for problem in getattr(extractor, "problems", []):
            download = parse(pattern, key, problem["file"])
            student = ""
            if download is not None:
                by_id = matched.students.get(download.participant, "")
                named = index.get(download.student if key == "platform_id" else folded(download.student), [])
                student = by_id or (named[0] if len(named) == 1 and not download.participant else "")
            found.append(problem | {"student": student})
        return found
