"""nbgrader's zip_collect plugin for a learning platform's download: which file is whose, and which one is graded.

nbgrader calls `collect` once per extracted file. On the first call the plugin reads every file name of the download
(coursetools/platforms.py says how the platform names them), finds each student in roster.csv, and decides:
- the newest of a student's notebooks for the lesson is collected; the earlier ones are kept in the download, not graded;
- a notebook under another name is collected if it is the student's only one (it is this lesson's: the download is);
- a file the platform marks late gets the timestamp `late_timestamp` (just after the due date).
Its decisions go to `decisions_path` as JSON, for the report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode

from coursetools.platforms import Download, LearningPlatform, parse
from coursetools.roster import read_roster


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
        if key == "platform_id":
            index = {m.platform_user_id: m.id for m in members}
        else:  # Moodle: the full name, the only id its download shares with the roster
            index = {" ".join(m.full_name.casefold().split()): m.id for m in members}
        report: dict[str, list] = {"collected": [], "superseded": [], "unknown": [], "not_named": [], "ambiguous": [],
                                   "not_notebooks": []}
        by_student: dict[str, list[Download]] = {}
        for path in sorted(p for p in extracted.rglob("*") if p.is_file()):
            relative = path.relative_to(extracted).as_posix()
            found = parse(pattern, key, relative)
            if found is None:
                report["not_named"].append(relative)
            elif not found.file.endswith(".ipynb"):
                report["not_notebooks"].append(relative)
            else:
                student = index.get(found.student if key == "platform_id" else found.student.casefold())
                if student is None:
                    report["unknown"].append({"file": relative, "platform": found.student})
                else:
                    by_student.setdefault(student, []).append(found)
        winners = {}
        for student, files in sorted(by_student.items()):
            named = [f for f in files if f.base == f"{lesson}.ipynb"]
            candidates = named or (files if len({f.base for f in files}) == 1 else [])
            if not candidates:
                report["ambiguous"].append({"student": student, "files": [f.path for f in files]})
                continue
            newest = max(candidates, key=lambda f: (f.version, f.order, f.path))
            report["collected"].append({"student": student, "file": newest.path, "late": newest.late,
                                        "misnamed": newest.base != f"{lesson}.ipynb", "prefix": newest.prefix,
                                        "participant": newest.participant})
            report["superseded"] += [{"student": student, "file": f.path, "winner": newest.path}
                                     for f in files if f is not newest]
            answer = {"student_id": student, "file_id": f"{lesson}.ipynb"}
            if newest.late and self.late_timestamp:
                answer["timestamp"] = self.late_timestamp
            winners[str(extracted / newest.path)] = answer
        if self.decisions_path:
            Path(self.decisions_path).write_text(json.dumps(report, indent=1))
        return winners
