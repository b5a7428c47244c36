"""Moodle's participant ids: which student each one is, and which student a download's file is by them.

Moodle's "Download all submissions" names each file `<Full Name>_<participant id>_assignsubmission_file_...`
(mod/assign's download_submissions). The full name is the student's to change in their profile; the participant id
is Moodle's, one per student and assignment (assign_user_mapping), and it is the "Identifier" of the assignment's
grading worksheet ("Participant 12345", View all submissions > Download grading worksheet). The gradebook export
that make roster reads has no participant ids, so:
- `make roster CSV=<the grading worksheet>` records each participant of the assignment as a student of the roster,
  found by the worksheet's Username, Email address or ID number column (never by name); the lesson is the
  assignment's name in the worksheet's file name, as Moodle names it: Grades-<course>-<assignment>-<cmid>.csv;
- without a worksheet, a participant id is matched by full name the first time it is seen and remembered, so that a
  later file under a remembered student's name and another participant id is refused, and so is every file of a
  name that two participant ids of one download carry: neither is guessed.
A known participant id matches its student whatever name the file gives; a name that differs from the roster's is
reported. roster-participants.csv holds the lesson, participant id, student, name and source of each.
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from coursetools.platforms import Download, plain

PARTICIPANTS = "roster-participants.csv"
WORKSHEET_COLUMNS = ("Identifier", "Full name")
IDENTITY_COLUMNS = (("Username", "login"), ("Email address", "email"), ("ID number", "sis_user_id"))


def folded(name: str) -> str:
    """A full name for matching: case and runs of spaces do not count."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class Participant:
    """One participant id of one lesson on Moodle, and the student of the roster it is."""

    lesson: str
    participant: str
    student: str
    name: str  # the full name where it was learned (the worksheet's, or the download's)
    source: str  # "worksheet" or "collect"


def read_participants(root: Path, lesson: str | None = None) -> list[Participant]:
    """The participant ids the course knows (of `lesson`, if given)."""
    path = root / PARTICIPANTS
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        rows = [Participant(**{f.name: row[f.name] for f in fields(Participant)}) for row in csv.DictReader(fh)]
    return [p for p in rows if lesson is None or p.lesson == lesson]


def write_participants(root: Path, rows: list[Participant]) -> None:
    """Save every participant id the course knows."""
    with open(root / PARTICIPANTS, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[f.name for f in fields(Participant)])
        writer.writeheader()
        writer.writerows(asdict(p) for p in sorted(rows, key=lambda p: (p.lesson, p.participant)))


def remember(root: Path, lesson: str, learned: dict[str, tuple[str, str]]) -> None:
    """Add participant ids a collect matched by name ({participant: (student, name)}) to those of `lesson`."""
    if not learned:
        return
    rows = read_participants(root)
    known = {p.participant for p in rows if p.lesson == lesson}
    rows += [Participant(lesson, pid, student, name, "collect") for pid, (student, name) in learned.items()
             if pid not in known]
    write_participants(root, rows)


def is_worksheet(header: list[str]) -> bool:
    """Whether an export's header is that of Moodle's grading worksheet."""
    return set(WORKSHEET_COLUMNS) <= set(header)


def worksheet_lesson(filename: str, lessons: list[str]) -> str:
    """The lesson a grading worksheet is of, from its file name (Grades-<course>-<assignment>-<cmid>.csv)."""
    stem = re.sub(r"\s*\(\d+\)$", "", Path(filename).stem)  # a browser's " (1)" for a second download
    pieces = re.sub(r"-\d+$", "", stem).split("-")
    for start in range(len(pieces) - 1, -1, -1):  # the shortest ending first: "Tiny 2" before "C-Tiny 2"
        found = [lesson for lesson in lessons if plain(lesson) == plain("-".join(pieces[start:]))]
        if found:
            return found[0]
    raise ValueError(f"{filename}: no lesson of this course ({', '.join(lessons)}) is named at the end of this "
                     "grading worksheet's name; Moodle names it Grades-<course>-<assignment>-<number>.csv: rename it "
                     "so that it ends with -<lesson>.csv, for example Grades-" + (lessons[0] if lessons else "lesson")
                     + ".csv")


def participant_number(identifier: str) -> str:
    """The participant id in a worksheet's Identifier ("Participant 12345" -> "12345"), or ""."""
    found = re.search(r"(\d+)\s*$", identifier or "")
    return found.group(1) if found else ""


def worksheet_participants(rows: list[dict], members: list, lesson: str) -> tuple[list[Participant], list[str]]:
    """The participants of a grading worksheet, each found in the roster by login, email or ID number; and a note
    for each row that is not found, or whose full name differs from the roster's."""
    header = set(rows[0]) if rows else set()
    usable = [(column, attribute) for column, attribute in IDENTITY_COLUMNS if column in header]
    if not usable:
        raise ValueError("the grading worksheet has no Username, Email address or ID number column, so its "
                         "participants cannot be told apart but by name: ask Moodle's administrator to show the email "
                         "address to teachers (Site administration > Users > Permissions > User policies > "
                         "Show user identity), then download the worksheet again")
    found, notes = [], []
    for row in rows:
        pid = participant_number(row.get("Identifier", ""))
        column, attribute = usable[0]
        value = (row.get(column) or "").strip().casefold()
        matches = [m for m in members if value and getattr(m, attribute).strip().casefold() == value]
        name = (row.get("Full name") or "").strip()
        if not pid:
            continue
        if len(matches) != 1:
            notes.append(f"participant {pid} ({name!r}, {column} {value!r}) is not on the roster: not matched")
            continue
        member = matches[0]
        if folded(name) != folded(member.full_name):
            notes.append(f"participant {pid} is named {name!r} on the worksheet but {member.full_name!r} on the "
                         f"roster ({member.id}): matched to {member.id} by {column}")
        found.append(Participant(lesson, pid, member.id, name, "worksheet"))
    return found, notes


def replace_lesson(root: Path, lesson: str, found: list[Participant]) -> list[str]:
    """Make `found` the participants of `lesson`, keeping those learned by collect that do not contradict it; a note
    for each learned one dropped."""
    rows = read_participants(root)
    ids, students = {p.participant for p in found}, {p.student for p in found}
    dropped = [p for p in rows if p.lesson == lesson and p.source == "collect"
               and (p.participant in ids or p.student in students)
               and (p.participant, p.student) not in {(f.participant, f.student) for f in found}]
    kept = [p for p in rows if p.lesson != lesson or (p.source == "collect" and p not in dropped
                                                      and p.participant not in ids)]
    write_participants(root, kept + found)
    return [f"participant {p.participant} was matched to {p.student} by name ({p.name!r}) in an earlier collect; "
            "the worksheet says otherwise, and is believed" for p in dropped]


@dataclass
class Matched:
    """Which student each participant id of a download is, and what could not be matched."""

    students: dict[str, str]  # participant id -> student
    learned: dict[str, tuple[str, str]]  # participant id -> (student, name): matched by name, first seen now
    refused: list[dict]  # files not collected: {"file", "why"}
    renamed: list[dict]  # matched by id, the download's name differs from the roster's


def match(files: list[Download], known: dict[str, str], by_name: dict[str, list[str]],
          full_names: dict[str, str]) -> Matched:
    """Match a download's participant ids: `known` ones (participant -> student) by id, the others by full name
    (`by_name`: folded name -> students), refusing a name that another participant id holds; see the module."""
    result = Matched({}, {}, [], [])
    names: dict[str, set[str]] = {}
    for f in files:
        names.setdefault(f.participant, set()).add(f.name)
    taken = set(known.values())
    unknown: dict[str, list[str]] = {}
    given = {pid: sorted(said)[0] for pid, said in names.items()}
    for pid, name in sorted(given.items()):
        if pid in known:
            result.students[pid] = known[pid]
            if folded(name) != folded(full_names.get(known[pid], name)):
                result.renamed.append({"participant": pid, "name": name, "student": known[pid],
                                       "roster": full_names.get(known[pid], "")})
        else:
            unknown.setdefault(folded(name), []).append(pid)
    for key, pids in sorted(unknown.items()):
        students, name = by_name.get(key, []), given[pids[0]]
        if len(pids) > 1:
            result.refused += [{"participant": pid, "why": f"participants {', '.join(pids)} of this download are all "
                                f"named {name!r}, and no grading worksheet says which is which"} for pid in pids]
        elif len(students) == 1 and students[0] in taken:
            owner = next(p for p, s in known.items() if s == students[0])
            result.refused.append({"participant": pids[0], "why": f"{students[0]} is participant {owner} of this "
                                   f"lesson, not {pids[0]}: did someone else take the name {name!r}?"})
        elif len(students) == 1:
            result.students[pids[0]] = students[0]
            result.learned[pids[0]] = (students[0], name)
    return result
