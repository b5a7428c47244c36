"""`make grades FORMAT=canvas|moodle`: the gradebook's scores in the form the platform's gradebook import reads.

Canvas (Grades > Import): the columns of its gradebook export, Student, ID, SIS User ID, SIS Login ID, Section, then
one column per assignment, and a "Points Possible" row; Canvas finds each student by ID. Moodle (Grades > Import >
CSV file): the columns of its gradebook export, First name, Last name, ID number, Institution, Department, Email
address, then one column per grade item, named as the export names them (Moodle rejects a column it did not export);
map "Email address" to "useremail" on import. A lesson nobody submitted is blank, which both leave unchanged.
Every cell goes through coursetools/spreadsheet.py: a name that starts like a formula ("=HYPERLINK(") gets a quote.
"""

from __future__ import annotations

from pathlib import Path

from coursetools.nbgrader_cli import gradebook_url
from coursetools.platforms import plain
from coursetools.roster import Member, grade_columns, read_roster
from coursetools.spreadsheet import write_csv

HEADERS = {"canvas": ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
           "moodle": ["First name", "Last name", "ID number", "Institution", "Department", "Email address"]}


def identity(member: Member, platform: str) -> list[str]:
    """A student's identifying columns in the platform's grade file."""
    if platform == "canvas":
        return [member.sortable_name, member.platform_user_id, member.sis_user_id, member.login, member.section]
    return [member.first_name, member.last_name, member.sis_user_id, "", "", member.email]


def column_names(root: Path, lessons: list[str], chosen: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """lesson -> its column in the grade file (the setting, else the roster export's column of the same name, else
    the lesson's own name), and a warning for each lesson that got its own name."""
    exported = {plain(c): c for c in grade_columns(root)}
    names, unmatched = {}, []
    for lesson in lessons:
        names[lesson] = chosen.get(lesson) or exported.get(plain(lesson)) or lesson
        if lesson not in chosen and plain(lesson) not in exported:
            unmatched.append(lesson)
    return names, unmatched


def scores(root: Path) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """(lesson -> max score, (student, lesson) -> score after late penalties) from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        top = {a.name: a.max_score for a in gradebook.assignments}
        got = {(s.student.id, a.name): max(0.0, s.score - (s.late_submission_penalty or 0.0))  # as nbgrader's CSV
               for a in gradebook.assignments for s in a.submissions}
    return top, got


def platform_grades(root: Path, platform: str, out: Path, chosen: dict[str, str]) -> int:
    """Write the grade file `platform` imports (see the module's docstring) to `out`; 0 on success."""
    if platform not in HEADERS:
        raise ValueError(f"FORMAT={platform!r}: the grade files are {', '.join(HEADERS)} (or none, for grades.csv)")
    members = read_roster(root)
    if members and members[0].platform != platform:
        raise ValueError(f"roster.csv comes from {members[0].platform}, not {platform}: "
                         f"make roster with {platform}'s export first")
    from coursetools.autograde import failures

    top, got = scores(root)
    failed = failures(root)
    got = {(student, lesson): score for (student, lesson), score in got.items() if f"{student}/{lesson}" not in failed}
    lessons = sorted(top)
    names, unmatched = column_names(root, lessons, chosen)
    rows = []
    if platform == "canvas":
        rows.append(["Points Possible", "", "", "", ""] + [f"{top[lesson]:g}" for lesson in lessons])
    for member in members:
        row = [f"{got[(member.id, lesson)]:g}" if (member.id, lesson) in got else "" for lesson in lessons]
        rows.append(identity(member, platform) + row)
    write_csv(out, HEADERS[platform] + [names[lesson] for lesson in lessons], rows)
    print(f"wrote {out}: {len(members)} students, {len(lessons)} lessons as "
          + ", ".join(f"{lesson} -> {names[lesson]!r}" for lesson in lessons))
    for lesson in unmatched:
        consequence = ("Canvas makes it a new assignment" if platform == "canvas"
                       else "Moodle refuses a column its export did not have")
        print(f"  note: no column of the roster export is named like {lesson}, so its column is {lesson!r} "
              f"({consequence}); to use another, set c.LearningPlatform.columns = {{{lesson!r}: \"...\"}}")
    print("  each lesson's maximum: " + ", ".join(f"{lesson} {top[lesson]:g} points" for lesson in lessons)
          + ("; Canvas reads it from the Points Possible row" if platform == "canvas" else
             "; set each grade item's maximum grade to it in Moodle (its default is 100)"))
    if failed:
        print(f"  left blank, since their grading failed (make autograde grades them again): {', '.join(sorted(failed))}")
    strangers = sorted({student for student, _ in got} - {m.id for m in members})
    if strangers:
        print(f"  not in the file, since they are not on the roster: {', '.join(strangers)}")
    return 0
