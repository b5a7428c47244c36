"""The learning platforms a class hands in through: how each names a downloaded submission, and the setting that picks one.

nbgrader_config.py chooses the platform with `c.LearningPlatform.name = "canvas"` (or "moodle"). Another platform is
added there too: `c.LearningPlatform.name = "mine"` and `c.LearningPlatform.file_pattern = r"..."`, a regular expression
over a file's path below nbgrader's extracted/ folder (<the zip's name>/<path inside the zip>) with the named groups `file` (the name the student gave the file) and either
`platform_id` (the platform's user id, as in the roster) or `name` (the student's full name); optionally `late`
(non-empty when the platform marks the file late), `order` (a number that grows with each new submission) and
`participant` (an id per student and assignment, as Moodle's: see coursetools/participants.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from traitlets import Dict, Enum, Unicode
from traitlets.config import Configurable

# Canvas's "Download Submissions": <sortable name: lower case, its word characters only ("müllerjörg")>_[LATE_]<user
# id>_<submission id>_<file>, where Canvas appends -1, -2 ... to a file the student uploaded again under the same name.
CANVAS = r"^[^/]+/(?P<name>[^\W_]+)_(?P<late>(?i:late)_)?(?P<platform_id>\d+)_(?P<order>\d+)_(?P<file>[^/]+)$"
# Moodle's "Download all submissions": <full name>_<participant id>_assignsubmission_file_<file> (flat), or in folders
# ("Download submissions in folders", the default since Moodle 3.1): mod/assign/locallib.php's download_submissions
# names a file <prefix>_assignsubmission_file_ + its path, which starts with "/" (<prefix>_assignsubmission_file_/<file>),
# and the later mod/assign/classes/downloader.php <prefix>_assignsubmission_file/<file>. Moodle puts spaces for
# underscores in the name. The participant id, not the name, says whose a file is (coursetools/participants.py).
MOODLE = r"^[^/]+/(?P<name>[^/_]+)_(?P<participant>\d+)_assignsubmission_file(?:_/|/|_)(?P<file>[^/]+)$"
# Both are anchored at the top of the download (the first folder is the zip's own, made by nbgrader's extraction): a
# file inside a zip a student handed in is never taken for another student's, whatever its name.
PATTERNS = {"canvas": CANVAS, "moodle": MOODLE}
# A file uploaded again under the same name: "lesson1-1.ipynb" (Canvas) or "lesson1 (1).ipynb" (a browser's download).
VERSION = re.compile(r"^(?P<base>.*?)(?:-(?P<dash>\d+)| \((?P<paren>\d+)\))?(?P<ext>\.[^.]+)$")


class LearningPlatform(Configurable):
    """Which learning platform the class hands in through (one setting in nbgrader_config.py)."""

    name = Unicode("canvas", help="canvas, moodle, or a name of your own with file_pattern set").tag(config=True)
    file_pattern = Unicode("", help="for a platform of your own: see coursetools/platforms.py").tag(config=True)
    match_by = Enum(["auto", "platform_id", "name"], "auto",
                    help="how a file's student is found in the roster; auto: platform_id if the pattern has it").tag(config=True)

    columns = Dict(help="lesson -> the platform's name for it in grade files, where the roster export's "
                        "column names do not match the lesson's (\"Lesson 1 basics (123)\" matches lesson1_basics)"
                   ).tag(config=True)

    def pattern(self) -> re.Pattern:
        """The compiled file-name pattern of the chosen platform."""
        text = self.file_pattern or PATTERNS.get(self.name)
        if text is None:
            raise ValueError(f"c.LearningPlatform.name = {self.name!r} is not one of {sorted(PATTERNS)}; "
                             "for another platform, set c.LearningPlatform.file_pattern too")
        pattern = re.compile(text)
        if "file" not in pattern.groupindex or not {"platform_id", "name"} & set(pattern.groupindex):
            raise ValueError(f"c.LearningPlatform.file_pattern {text!r} needs the groups (?P<file>...) and "
                             "(?P<platform_id>...) or (?P<name>...)")
        return pattern

    def key(self) -> str:
        """Which group of the pattern finds the student in the roster: "platform_id" or "name"."""
        if self.match_by != "auto":
            return self.match_by
        return "platform_id" if "platform_id" in self.pattern().groupindex else "name"


def plain(name: str) -> str:
    """A lesson's or a grade column's name for matching: lower-case letters and digits, without the platform's
    decorations ("Assignment: Lesson 1 basics (Real)" and "Lesson 1 basics (123)" -> "lesson1basics")."""
    name = re.sub(r"^assignment:|\((real|\d+)\)$", "", name.strip().lower()).strip()
    return re.sub(r"[^a-z0-9]", "", name)


@dataclass(frozen=True)
class Download:
    """One file of a platform's download, as its name describes it."""

    path: str  # inside the download
    name: str  # the student's name as the file gives it ("" where it gives none)
    student: str  # the platform's user id or the student's full name, whichever the pattern gives
    file: str  # the name the student gave it
    late: bool
    order: int  # grows with each new submission (0 where the platform gives none)
    prefix: str  # everything before the file's own name: the platform's re-upload wants it on what goes back
    participant: str = ""  # Moodle's participant id (the pattern's group `participant`), "" where it gives none

    @property
    def base(self) -> str:
        """The file's name without a re-upload counter ("lesson1-2.ipynb" -> "lesson1.ipynb")."""
        found = VERSION.match(self.file)
        return found["base"] + found["ext"] if found else self.file

    @property
    def version(self) -> int:
        """The re-upload counter of the file's name (0 for none)."""
        found = VERSION.match(self.file)
        return int(found["dash"] or found["paren"] or 0) if found else 0


def parse(pattern: re.Pattern, key: str, path: str) -> Download | None:
    """What `path` (a file inside a download) says about its student, or None if it is not named as submissions are."""
    found = pattern.match(path)
    if not found:
        return None
    groups = found.groupdict()
    student = groups.get(key) or ""
    name_start = found.start("file") - found.start(0)
    prefix = found.group(0)[:name_start].rsplit("/", 1)[-1]
    if prefix == "" and "/" in found.group(0):  # Moodle's folder form: the folder's name is the prefix
        prefix = found.group(0)[:name_start].rstrip("/").rsplit("/", 1)[-1].rstrip("_") + "_"
    order = groups.get("order") or "0"
    return Download(path=path, name=" ".join((groups.get("name") or "").split()), student=" ".join(student.split()),
                    file=groups["file"], late=bool(groups.get("late")), order=int(order) if order.isdigit() else 0,
                    prefix=prefix, participant=groups.get("participant") or "")
