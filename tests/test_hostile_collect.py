"""What make collect takes in is the students': links in a submission, an exchange folder named for a classmate or
dated earlier than it came, archives that are no archives or unpack to far more than they weigh, a Moodle student
renamed to a classmate's name. Each is left out or reported against its author, and an honest submission beside it
is collected as usual.

The platforms' files come from tests/platform_files.py (Moodle's mod/assign names and grading worksheet); the
exchange's folders are written as nbgrader's own submit writes them (nbgrader/exchange/default/submit.py).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import pwd
import stat
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from coursetools.archives import MB, Broken, Budget, Unpacker, write_member
from coursetools.collect import from_exchange, from_zip, install
from coursetools.exchange_collect import Inbound, basis, choose, parse_name, time_claims
from coursetools.participants import (Participant, match, read_participants, worksheet_lesson,
                                      worksheet_participants, write_participants)
from coursetools.plain_copy import TooLarge, copy_plain
from coursetools.platforms import MOODLE, parse
from coursetools.roster import read_roster, roster
from platform_files import exchange_submission, moodle_roster, moodle_worksheet, notebook_bytes, write_zip, zip_bytes

SECRET = "the instructor's secret"


def gap(path: Path) -> str:
    """The gap's code in a collected notebook."""
    return nbformat.read(path, as_version=4).cells[0].source


def stamp(when: datetime) -> str:
    """A time as nbgrader's exchange writes it (its default timestamp_format, in UTC)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def all_text(folder: Path) -> str:
    """Everything below `folder` that is a regular file, read as text."""
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# --- no link is followed ---------------------------------------------------------------------------------------------

def hostile_folder(tmp_path: Path) -> Path:
    """A handed-in folder: a notebook and a data file, beside links to a root-only file and to a folder, a hard link
    to the root-only file, and a pipe."""
    secret = tmp_path / "instructors-only.txt"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    folder = tmp_path / "handed-in"
    (folder / "data").mkdir(parents=True)
    (folder / "lesson.ipynb").write_text("{}")
    (folder / "data" / "notes.txt").write_text("mine")
    (folder / "lesson.ipynb").chmod(0o4777)  # setuid and world-writable: none of it is kept
    (folder / "seed.json").symlink_to(secret)
    (folder / "data" / "up").symlink_to(tmp_path)
    os.link(secret, folder / "hard.txt")
    os.mkfifo(folder / "pipe")
    return folder


def test_the_copy_keeps_plain_files_with_the_courses_modes_and_names_every_link_pipe_and_hard_link(tmp_path):
    skipped = copy_plain(hostile_folder(tmp_path), tmp_path / "copy")
    copy = tmp_path / "copy"
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*")) == ["data", "data/notes.txt", "lesson.ipynb"]
    assert {s.path: s.why for s in skipped} == {"seed.json": "a link, not followed", "data/up": "a link, not followed",
                                                "pipe": "a pipe", "hard.txt": "a hard link: it may be another user's file"}
    assert stat.S_IMODE((copy / "lesson.ipynb").stat().st_mode) == 0o640
    assert stat.S_IMODE((copy / "data").stat().st_mode) == 0o750
    assert SECRET not in all_text(copy)


def test_a_folder_that_is_a_link_or_too_large_is_refused_whole(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "big.bin").write_bytes(b"x" * 5000)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(NotADirectoryError, match="a link"):
        copy_plain(tmp_path / "link", tmp_path / "a")
    with pytest.raises(TooLarge):
        copy_plain(tmp_path / "real", tmp_path / "b", max_total_bytes=4000)
    assert not (tmp_path / "b").exists(), "what was copied of a refused folder is removed"
    assert [str(s) for s in copy_plain(tmp_path / "real", tmp_path / "c", max_file_bytes=4000)] == ["big.bin (larger than 4 KB)"]


def test_install_into_submitted_follows_no_link(tmp_path):
    staged = tmp_path / "collected"
    for student in ("ann", "eve"):
        (staged / student / "tiny").mkdir(parents=True)
        (staged / student / "tiny" / "tiny.ipynb").write_text(f"{student}'s")
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    (staged / "eve" / "tiny" / "notes.txt").symlink_to(secret)
    done = install(tmp_path, staged, "tiny", "now", older=set())
    assert done["added"] == ["ann", "eve"] and done["skipped"] == ["eve: notes.txt (a link, not followed)"]
    assert sorted(p.name for p in (tmp_path / "submitted" / "eve" / "tiny").iterdir()) == ["tiny.ipynb"]
    assert (tmp_path / "submitted" / "ann" / "tiny" / "tiny.ipynb").read_text() == "ann's"


# --- the exchange: the file system says whose and when ---------------------------------------------------------------

def inbound(name: str, owner: str, uid: int, trusted: str, stamp_time: str = "", lesson: str = "tiny") -> Inbound:
    """An inbound folder as survey() describes it."""
    claimed, name_time = parse_name(name, lesson)
    return Inbound(name, claimed, owner, uid, trusted, name_time, stamp_time or name_time)


def test_a_folder_counts_for_its_owner_and_a_name_is_believed_only_where_the_owner_cannot_tell():
    ok, forged = inbound("ann+tiny+2026-12-01 10:00:00.000000 UTC+r1", "ann", 1001, "2026-12-01 10:00:00.1 UTC"), \
        inbound("ann+tiny+2026-12-02 10:00:00.000000 UTC+r2", "eve", 1002, "2026-12-02 10:00:00.1 UTC")
    assert parse_name(ok.folder, "tiny") == ("ann", "2026-12-01 10:00:00.000000 UTC")
    assert basis(ok, instructor_uid=0, shared_users=set()) == "owner"
    assert basis(forged, instructor_uid=0, shared_users=set()) == "impersonation"
    assert basis(forged, instructor_uid=1002, shared_users=set()) == "unchecked", "the instructor's own uid"
    assert basis(forged, instructor_uid=0, shared_users={"eve"}) == "unchecked", "a hub's shared user (jovyan)"
    up = inbound("..+tiny+2026-12-02 10:00:00.000000 UTC+r3", "root", 0, "2026-12-02 10:00:00.1 UTC")
    chosen, decisions = choose([ok, forged, up], 0, set(), True, 60.0)
    assert chosen == {"ann": ok}, "the later forged folder replaces nothing, and '..' is no student"
    assert decisions["impersonation"] == [{"folder": forged.folder, "owner": "eve", "claimed": "ann"}]
    assert decisions["bad_names"] == [{"folder": up.folder, "owner": "root"}]


def test_the_trusted_time_picks_the_newest_and_a_back_dated_claim_is_reported():
    early = inbound("bo+tiny+2026-12-09 00:00:00.000000 UTC+r1", "bo", 1001, "2026-12-01 09:00:00.0 UTC")
    late = inbound("bo+tiny+2026-12-01 08:00:00.000000 UTC+r2", "bo", 1001, "2026-12-03 09:00:00.0 UTC")
    chosen, decisions = choose([early, late], 0, set(), True, 60.0)
    assert chosen["bo"] is late, "the folder that came last, whatever its name says"
    claims = {d["folder"]: d for d in decisions["time_claims"]}
    assert claims[late.folder]["earlier"] and claims[late.folder]["claims"]["timestamp.txt"].startswith("2026-12-01")
    assert not claims[early.folder]["earlier"], "a claim of a later time is reported, but is no back-dating"
    due = datetime(2026, 12, 2)
    chosen, _ = choose([early, late], 0, set(), True, 60.0, due, before_duedate=True)
    assert chosen["bo"] is early
    honest = inbound("bo+tiny+2026-12-01 09:00:00.000000 UTC+r3", "bo", 1001, "2026-12-01 09:00:30.5 UTC")
    assert time_claims(honest, 60.0) == {}
    assert time_claims(inbound("bo+tiny+soon+r", "bo", 1, "2026-12-01 09:00:00 UTC"), 60.0)["folder name"] == "soon"


@pytest.fixture
def exchange(released_course, tmp_path, monkeypatch) -> Path:
    """The course's inbound/ in a private exchange, and a due date a day ago."""
    from nbgrader.api import Gradebook

    from coursetools.nbgrader_cli import gradebook_url

    monkeypatch.setenv("NBGRADER_EXCHANGE", str(tmp_path / "exchange"))
    folder = tmp_path / "exchange" / "recsys-course" / "inbound"
    folder.mkdir(parents=True)
    with Gradebook(gradebook_url(released_course)) as gradebook:
        gradebook.update_or_create_assignment("tiny", duedate=datetime.now(timezone.utc).replace(tzinfo=None)
                                              - timedelta(days=1))
    return folder


def test_links_in_an_exchange_submission_are_left_out_and_a_back_dated_one_gets_the_exchanges_time(
        released_course, exchange, tmp_path, capsys):
    root, now = released_course, datetime.now(timezone.utc)
    right = notebook_bytes(root, "tiny", "answer = 42")
    exchange_submission(exchange, "ann", "tiny", right, stamp(now))
    eve = exchange_submission(exchange, "eve", "tiny", right, stamp(now), random="RVZFRVZFRVZF")
    secret = tmp_path / "root-only.txt"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    (root / "grading-secrets").mkdir()
    (root / "grading-secrets" / "lesson3_challenge.json").write_text(json.dumps({"secret": SECRET}))
    (eve / "seed.json").symlink_to(root / "grading-secrets" / "lesson3_challenge.json")  # a file of the course
    (eve / "notes.txt").symlink_to(secret)  # a file only root may read
    os.mkfifo(eve / "pipe")
    claimed = stamp(now - timedelta(days=2))  # before the due date, though it came after it
    exchange_submission(exchange, "cat", "tiny", right, claimed, random="Q0FUQ0FUQ0FU")
    assert from_exchange(root, "tiny") == 1, "a submission that held links needs a look"
    report = capsys.readouterr().out
    submitted = root / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["ann", "cat", "eve"]
    assert sorted(p.name for p in (submitted / "ann/tiny").iterdir()) == ["submission_secret.txt", "timestamp.txt",
                                                                         "tiny.ipynb"]
    assert gap(submitted / "ann/tiny/tiny.ipynb") == "answer = 42" and gap(submitted / "eve/tiny/tiny.ipynb") == "answer = 42"
    assert SECRET not in all_text(submitted) and not any(p.is_symlink() for p in submitted.rglob("*"))
    assert "left out of eve's submission" in report and "seed.json (a link, not followed)" in report, report
    assert "notes.txt (a link, not followed)" in report and "pipe (a pipe)" in report
    trusted = (submitted / "cat/tiny/timestamp.txt").read_text()
    assert abs((datetime.strptime(trusted, "%Y-%m-%d %H:%M:%S.%f UTC").replace(tzinfo=timezone.utc) - now)
               .total_seconds()) < 60, trusted
    assert f"back-dated: cat: inbound/cat+tiny+{claimed}" in report and f"timestamp.txt says {claimed!r}" in report
    assert "late (3): ann, cat, eve" in report, "late by the exchange's time, not the claimed one"
    assert "owner not checked" in report, "all of them belong to the instructor's own uid here"


def other_users() -> tuple[pwd.struct_passwd, pwd.struct_passwd] | None:
    """Two users of this system other than root, to own exchange folders (None where there are not two)."""
    users = [u for u in pwd.getpwall() if u.pw_uid not in (0, os.geteuid()) and u.pw_name in ("daemon", "nobody")]
    return (users[0], users[1]) if len(users) >= 2 else None


@pytest.mark.skipif(os.geteuid() != 0 or other_users() is None,
                    reason="giving a folder to another user (os.chown) needs root, which CI has")
def test_a_folder_named_for_a_classmate_replaces_nothing_and_is_reported(released_course, exchange, capsys):
    root, now = released_course, datetime.now(timezone.utc)
    victim, impostor = other_users()
    mine = exchange_submission(exchange, victim.pw_name, "tiny", notebook_bytes(root, "tiny", "answer = 42"), stamp(now))
    own = exchange_submission(exchange, impostor.pw_name, "tiny", notebook_bytes(root, "tiny", "answer = 7"), stamp(now))
    forged = exchange_submission(exchange, victim.pw_name, "tiny", notebook_bytes(root, "tiny", "answer = 0"),
                                 stamp(now + timedelta(hours=1)), random="Rk9SR0VEISEh")
    for folder, user in ((mine, victim), (own, impostor), (forged, impostor)):
        for path in [folder, *folder.iterdir()]:
            os.chown(path, user.pw_uid, user.pw_gid)
    assert from_exchange(root, "tiny") == 1
    report = capsys.readouterr().out
    assert gap(root / f"submitted/{victim.pw_name}/tiny/tiny.ipynb") == "answer = 42", "the victim's own work stays"
    assert gap(root / f"submitted/{impostor.pw_name}/tiny/tiny.ipynb") == "answer = 7", "the impostor's own is collected"
    assert (f"NOT collected, impersonation?: inbound/{forged.name} is owned by {impostor.pw_name} but named for "
            f"{victim.pw_name}") in report, report
    assert "owner not checked" not in report and "back-dated" not in report


# --- archives: one bad file fails only its owner ---------------------------------------------------------------------

def deflated(files: dict[str, bytes]) -> bytes:
    """A compressed zip holding `files`, as bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bomb(level_mb: int = 3) -> bytes:
    """A student's zip of a few kilobytes that unpacks to `level_mb` MB of zeros, beside zips of zips that do too."""
    zeros = {"zeros.bin": b"\0" * (level_mb * MB)}
    inner = deflated(zeros)
    return deflated({"a.zip": inner, "b.zip": deflated({"c.zip": inner, "d.zip": inner})} | zeros)


def test_a_broken_or_oversized_student_archive_is_its_own_problem_and_the_rest_is_unpacked(tmp_path):
    link = zipfile.ZipInfo("evil")
    link.external_attr = 0o120777 << 16  # a symbolic link to /etc/passwd, as zip stores one
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(link, "/etc/passwd")
        archive.writestr("notes/mine.txt", "ok")
    download = write_zip(tmp_path / "s.zip", {
        "doe_1_1_tiny.ipynb": b"{}", "khan_2_2_notes.gz": b"not a gzip", "lund_3_3_bomb.zip": bomb(),
        "wu_4_4_fine.zip": buffer.getvalue(), "orr_5_5_out.zip": zip_bytes({"../../escaped.txt": b"x"}),
        "li_6_6_data.gz": gzip.compress(b"hello")})
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    problems: list[dict] = []
    Unpacker(extracted, 2, 1 * MB, 2000, problems).tree(download, extracted / "s", 1, Budget(100 * MB, 1000))
    why = {p["file"]: p["why"] for p in problems}
    assert "not a gz archive" in why["s/khan_2_2_notes.gz"]
    assert "more than the limit of 1 MB" in why["s/lund_3_3_bomb.zip"]
    assert "leads outside its folder" in why["s/orr_5_5_out.zip"]
    assert why["s/wu_4_4_fine.zip"] == "evil (a link, not followed): left out"
    assert (extracted / "s/wu_4_4_fine/notes/mine.txt").read_text() == "ok"
    assert (extracted / "s/li_6_6_data/li_6_6_data").read_bytes() == b"hello"
    assert not (extracted / "s/lund_3_3_bomb").exists() and not (tmp_path / "escaped.txt").exists()
    assert (extracted / "s/lund_3_3_bomb.zip").is_file(), "the archive itself is kept as handed in"
    assert sum(p.stat().st_size for p in extracted.rglob("*") if p.is_file()) < MB
    assert not any(p.is_symlink() for p in extracted.rglob("*"))


def test_a_nested_bomb_is_stopped_at_its_limit_however_deep_and_the_bytes_are_counted_as_written(tmp_path):
    download = write_zip(tmp_path / "s.zip", {"lund_3_3_bomb.zip": bomb(level_mb=1)})  # 1 MB at each level: 5 in all
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    problems: list[dict] = []
    Unpacker(extracted, 4, 3 * MB, 2000, problems).tree(download, extracted / "s", 1, Budget(100 * MB, 1000))
    assert [p["file"] for p in problems] == ["s/lund_3_3_bomb.zip"] and "limit of 3 MB" in problems[0]["why"]
    assert sorted(p.name for p in (extracted / "s").iterdir()) == ["lund_3_3_bomb.zip"]
    lying = io.BytesIO(b"\0" * (2 * MB))  # what an archive's header says does not count, what is written does
    with pytest.raises(Broken, match="limit of 1 MB"):
        write_member(tmp_path, "x.bin", lying, Budget(1 * MB, 10))


def test_a_collect_of_a_download_with_a_broken_gz_and_a_bomb_fails_only_their_owners(released_course, tmp_path,
                                                                                      capsys):
    root = released_course
    with open(root / "nbgrader_config.py", "a") as config:
        config.write('\nc.LearningPlatform.name = "moodle"\nc.UnpackWithLimits.max_mb = 1\n')
    roster(root, moodle_roster(tmp_path / "export.csv"), "moodle")
    roster(root, moodle_worksheet(tmp_path / "Grades-RS 101-Tiny-42.csv", [
        ("7001", "Jane Doe", "jdoe@uni.example"), ("7002", "Jane Doe", "akhan@uni.example"),  # Ali is now "Jane Doe"
        ("7003", "Bea Lund", "blund@uni.example"), ("7004", "Chen Wu", "cwu@uni.example")]), "moodle")
    capsys.readouterr()
    right, wrong = notebook_bytes(root, "tiny", "answer = 42"), notebook_bytes(root, "tiny", "answer = 0")
    name = "{}_{}_assignsubmission_file_{}"  # Moodle's download without folders
    download = write_zip(tmp_path / "s.zip", {
        name.format("Jane Doe", 7001, "tiny.ipynb"): right, name.format("Jane Doe", 7002, "tiny.ipynb"): wrong,
        name.format("Bea Lund", 7003, "tiny.ipynb"): right, name.format("Bea Lund", 7003, "notes.gz"): b"not a gzip",
        name.format("Chen Wu", 7004, "tiny.ipynb"): right, name.format("Chen Wu", 7004, "bomb.zip"): bomb()})
    assert from_zip(root, download, "tiny") == 0, "a student's broken archive fails no one else"
    report = capsys.readouterr().out
    submitted = root / "submitted"
    assert gap(submitted / "jdoe/tiny/tiny.ipynb") == "answer = 42", "the renamed classmate took nothing of Jane's"
    assert gap(submitted / "akhan/tiny/tiny.ipynb") == "answer = 0", "Ali's own file is his, by its participant id"
    assert gap(submitted / "blund/tiny/tiny.ipynb") == "answer = 42" and gap(submitted / "cwu/tiny/tiny.ipynb") == "answer = 42"
    assert "name differs: participant 7002 is akhan ('Ali Khan' on the roster) but the download names them 'Jane Doe'" \
        in report, report
    assert "archive of blund NOT unpacked: s/Bea Lund_7003_assignsubmission_file_notes.gz: it is not a gz" in report
    assert "archive of cwu NOT unpacked: s/Chen Wu_7004_assignsubmission_file_bomb.zip: it declares" in report
    assert sum(p.stat().st_size for p in (root / "downloads").rglob("*") if p.is_file()) < MB


# --- Moodle: the participant id says whose a file is -----------------------------------------------------------------

def moodle_files(*names: tuple[str, int]) -> list:
    """A Moodle download's notebooks, as coursetools/platforms.py parses them."""
    import re

    return [parse(re.compile(MOODLE), "name", f"s/{name}_{pid}_assignsubmission_file_tiny.ipynb") for name, pid in names]


BY_NAME = {"jane doe": ["jdoe"], "ali khan": ["akhan"]}
FULL = {"jdoe": "Jane Doe", "akhan": "Ali Khan"}


def test_without_a_worksheet_a_name_two_participants_carry_and_a_remembered_name_are_refused():
    first = match(moodle_files(("Jane Doe", 7001), ("Ali Khan", 7002)), {}, BY_NAME, FULL)
    assert first.students == {"7001": "jdoe", "7002": "akhan"} and first.learned["7001"] == ("jdoe", "Jane Doe")
    both = match(moodle_files(("Jane Doe", 7001), ("Jane Doe", 7002)), {}, BY_NAME, FULL)
    assert both.students == {} and [r["participant"] for r in both.refused] == ["7001", "7002"], "neither is guessed"
    later = match(moodle_files(("Jane Doe", 7002)), {"7001": "jdoe"}, BY_NAME, FULL)
    assert later.students == {} and "jdoe is participant 7001 of this lesson, not 7002" in later.refused[0]["why"]
    renamed = match(moodle_files(("Jane Doe", 7002), ("Jane Doe", 7001)), {"7001": "jdoe", "7002": "akhan"}, BY_NAME, FULL)
    assert renamed.students == {"7001": "jdoe", "7002": "akhan"} and renamed.renamed[0]["participant"] == "7002"


def test_the_worksheet_names_its_lesson_and_matches_by_email_never_by_name(released_course, tmp_path):
    assert worksheet_lesson("Grades-RS 101-Tiny 2-43.csv", ["tiny", "tiny2"]) == "tiny2"
    assert worksheet_lesson("Grades-RS-101-Tiny-7 (1).csv", ["tiny", "tiny2"]) == "tiny"
    with pytest.raises(ValueError, match="ends with -<lesson>.csv"):
        worksheet_lesson("worksheet.csv", ["tiny"])
    roster(released_course, moodle_roster(tmp_path / "export.csv"), "moodle")
    members = read_roster(released_course)
    rows = [{"Identifier": "Participant 7002", "Full name": "Jane Doe", "Email address": "akhan@uni.example"},
            {"Identifier": "Participant 7009", "Full name": "Eve", "Email address": "eve@elsewhere.example"}]
    found, notes = worksheet_participants(rows, members, "tiny")
    assert [(p.participant, p.student) for p in found] == [("7002", "akhan")]
    assert "named 'Jane Doe' on the worksheet but 'Ali Khan'" in notes[0] and "7009" in notes[1]
    write_participants(released_course, [Participant("tiny", "7001", "jdoe", "Jane Doe", "collect")])
    assert read_participants(released_course, "tiny")[0].student == "jdoe"
    with pytest.raises(ValueError, match="Show user identity"):
        worksheet_participants([{"Identifier": "Participant 1", "Full name": "Jane Doe"}], members, "tiny")
