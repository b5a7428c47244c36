"""A class on a learning platform, with the real nbgrader: the roster in, the bulk download collected (late,
resubmitted, misnamed, unknown and missing students reported), grades out in the platform's import format, and
feedback back as pages that name their student, zipped for the platform's re-upload."""

from __future__ import annotations

import csv
import subprocess
import sys
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from coursetools.collect import from_exchange, from_zip
from coursetools.nbgrader_cli import nbgrader_env
from coursetools.roster import roster
from notebook_tools import coursetools
from platform_files import (CANVAS_HEADER, canvas_download, canvas_roster, moodle_download, moodle_roster,
                            notebook_bytes, write_zip)


def gap(path: Path) -> str:
    """The gap's code in a collected notebook."""
    return nbformat.read(path, as_version=4).cells[0].source


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def set_due_date(root: Path, lesson: str, due: str) -> None:
    subprocess.run([sys.executable, "-m", "nbgrader", "db", "assignment", "add", lesson, f"--duedate={due}"], cwd=root,
                   env=nbgrader_env(), check=True, capture_output=True)


def test_canvas_download_to_grades_and_feedback(released_course, tmp_path):
    root = released_course
    with open(root / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    set_due_date(root, "tiny", "2026-12-01 17:00:00 UTC")
    coursetools(root, "roster", "--csv", str(canvas_roster(tmp_path / "export.csv")))
    collected = coursetools(root, "collect", "--lesson", "tiny", "--zip", str(canvas_download(root, tmp_path / "s.zip")))
    report = collected.stdout
    submitted = root / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["akhan", "blund", "cwu", "jdoe", "jmueller"]
    assert gap(submitted / "blund/tiny/tiny.ipynb") == "answer = 42", "the newer resubmission (-1) must win"
    assert "resubmitted: blund: s/lundbea_103_5013_tiny-1.ipynb is graded" in report
    assert "lundbea_103_5003_tiny.ipynb is kept, not graded" in report
    assert "misnamed, matched: s/wuchen_104_5004_Tiny lesson (Chen).ipynb is cwu's only notebook" in report
    assert "late (1): akhan" in report and "on the roster, nothing handed in (1): dorr" in report
    assert "skipped: s/wuchen_104_5005_notes.txt (not a notebook)" in report
    assert "skipped: s/studenttest_999_5099_tiny.ipynb (Canvas's Test Student)" in report
    assert gap(submitted / "akhan/tiny/tiny.ipynb") == "answer = 42", "a file inside a student's zip is no one's"
    assert "skipped: s/doejane_101_5090_extra/khanali_LATE_102_9999_tiny.ipynb (not named as" in report
    assert (submitted / "akhan/tiny/timestamp.txt").read_text().startswith("2026-12-01 17:00:01")
    assert not (submitted / "jdoe/tiny/timestamp.txt").exists()

    graded = coursetools(root, "autograde").stdout
    assert "akhan/tiny (new): 1/1 (late: 0 after its penalty)" in graded and "jdoe/tiny (new): 1/1\n" in graded
    coursetools(root, "feedback")
    grades = rows(root / "grades-canvas.csv") if coursetools(root, "grades", "--format", "canvas") else []
    assert grades[0] == CANVAS_HEADER[:5] + ["Tiny (9001)", "Tiny 2 (9002)"]
    assert grades[1] == ["Points Possible", "", "", "", "", "1", "1"]
    by_id = {r[1]: r for r in grades[2:]}
    assert by_id["106"][:4] == ["Müller, Jörg", "106", "S106", "jmueller"] and by_id["106"][5] == "1"
    assert by_id["101"] == ["Doe, Jane", "101", "S101", "jdoe", "Section 1", "1", ""]
    assert by_id["102"][5] == "0", "the late file gets penalty_method = 'zero'"
    assert by_id["105"][5:] == ["", ""], "nothing handed in: blank, which Canvas leaves unchanged"
    assert "999" not in by_id, "Canvas's test student is not a student"

    page = (root / "feedback/akhan/tiny/tiny.html").read_text()
    assert "<title>Feedback for Ali Khan (akhan) on tiny</title>" in page and "<h4>Feedback for Ali Khan (akhan) on tiny" in page
    assert {p.name for p in (root / "feedback").rglob("*") if p.is_file()} == {"tiny.html"}
    with zipfile.ZipFile(root / "feedback-upload/tiny.zip") as upload:
        assert sorted(upload.namelist()) == ["doejane_101_5001_tiny_feedback.html", "khanali_LATE_102_5002_tiny_feedback.html",
                                             "lundbea_103_5013_tiny_feedback.html", "müllerjörg_106_5006_tiny_feedback.html",
                                             "wuchen_104_5004_tiny_feedback.html"]
        assert b"Feedback for Jane Doe (jdoe)" in upload.read("doejane_101_5001_tiny_feedback.html")

    # A newer download: Jane resubmitted; Ali's is as before, but its time was corrected by hand meanwhile. Only
    # Jane's folder changes, the old one archived; Ali's time stays.
    (submitted / "akhan/tiny/timestamp.txt").write_text("2026-12-01 18:30:00 UTC")
    newer = write_zip(tmp_path / "newer.zip", {"doejane_101_5101_tiny-1.ipynb": notebook_bytes(root, "tiny", "answer = 7"),
                                               "khanali_LATE_102_5002_tiny.ipynb": (submitted / "akhan/tiny/tiny.ipynb").read_bytes()})
    again = coursetools(root, "collect", "--lesson", "tiny", "--zip", str(newer)).stdout
    assert "collected 2 (0 new, 1 replacing an earlier collect, kept in archive/submitted/; 1 unchanged)" in again
    assert "replaced: jdoe" in again
    assert (submitted / "akhan/tiny/timestamp.txt").read_text() == "2026-12-01 18:30:00 UTC"
    assert gap(submitted / "jdoe/tiny/tiny.ipynb") == "answer = 7"
    [kept] = (root / "archive/submitted/jdoe/tiny").iterdir()
    assert gap(kept / "tiny.ipynb") == "answer = 42"
    assert gap(submitted / "blund/tiny/tiny.ipynb") == "answer = 42", "a student missing from the newer zip is kept"
    assert len(list((root / "downloads/tiny").glob("*/archive/*.zip"))) == 2, "every download is kept"
    # The first download again, by mistake: its file of Jane's is older than the one collected, so it stays.
    mistake = coursetools(root, "collect", "--lesson", "tiny", "--zip", str(tmp_path / "s.zip")).stdout
    assert "NOT replaced: jdoe's file in this download is older than the one collected before" in mistake
    assert gap(submitted / "jdoe/tiny/tiny.ipynb") == "answer = 7"


def test_moodle_download_with_its_folder_names_and_grade_file(released_course, tmp_path):
    root = released_course
    with open(root / "nbgrader_config.py", "a") as config:
        config.write('\nc.LearningPlatform.name = "moodle"\n')
    coursetools(root, "roster", "--csv", str(moodle_roster(tmp_path / "export.csv", extra=(("Ana", "Li", "ana.li"), ("Ana", "Li", "ali2")))))
    collected = coursetools(root, "collect", "--lesson", "tiny", "--zip", str(moodle_download(root, tmp_path / "s.zip")),
                            check=False)
    assert collected.returncode == 1, "a file of a student not on the roster must not pass unnoticed"
    report = collected.stdout
    submitted = root / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["akhan", "blund", "cwu", "jdoe"]
    assert gap(submitted / "blund/tiny/tiny.ipynb") == "answer = 42", "the re-uploaded 'tiny (1).ipynb' must win"
    assert "'Eve Stranger' is not on the roster" in report and "make roster CSV=<export>" in report
    assert "ana.li, ali2 on the roster are all named 'Ana Li'" in report, "two students of one name: neither guessed"
    assert "misnamed, matched: s/Chen Wu_7004_assignsubmission_file_/Tiny lesson.ipynb" in report
    assert "nothing handed in (4): ali2, ana.li, dorr, jmueller" in report and "onlinetext.html (not named as" in report
    coursetools(root, "autograde", "--student", "jdoe")
    coursetools(root, "grades", "--format", "moodle")
    grades = rows(root / "grades-moodle.csv")
    assert grades[0] == ["First name", "Last name", "ID number", "Institution", "Department", "Email address",
                         "Assignment: Tiny (Real)", "tiny2"]
    assert grades[1] == ["Jane", "Doe", "S101", "", "", "jdoe@uni.example", "1", ""]
    assert [r[5] for r in grades[1:]] == [f"{login}@uni.example"
                                          for login in ("jdoe", "akhan", "blund", "cwu", "dorr", "jmueller", "ana.li", "ali2")]
    coursetools(root, "feedback")
    with zipfile.ZipFile(root / "feedback-upload/tiny.zip") as upload:
        assert upload.namelist() == ["Jane Doe_7001_assignsubmission_file_tiny_feedback.html"]


def test_bad_collect_arguments_say_what_is_wrong(released_course, tmp_path):
    root = released_course
    download = canvas_download(root, tmp_path / "s.zip")
    result = coursetools(root, "collect", "--lesson", "tiny", "--zip", str(download), check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr and "no roster.csv" in result.stderr
    with pytest.raises(ValueError, match="is a moodle export"):
        roster(root, moodle_roster(tmp_path / "m.csv"), "canvas")
    roster(root, canvas_roster(tmp_path / "c.csv"), "canvas")
    with pytest.raises(KeyError, match="'lesson9' is not a lesson of this course"):
        from_zip(root, download, "lesson9")
    with pytest.raises(FileNotFoundError, match="no such file"):
        from_zip(root, tmp_path / "none.zip", "tiny")
    with pytest.raises(ValueError, match="is not a zip file"):
        from_zip(root, tmp_path / "c.csv", "tiny")
    assert not (root / "submitted").exists()


def test_the_exchange_must_exist_and_hold_the_lesson(released_course, tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="no exchange folder .*nowhere: make it as the README"):
        from_exchange(released_course, "tiny")
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="nothing was released to the exchange .* release_assignment tiny"):
        from_exchange(released_course, "tiny")


def test_a_roster_saved_by_a_spreadsheet_is_read(released_course, tmp_path):
    """Excel on Windows saves CSV as cp1252 with semicolons where the locale's decimal mark is a comma."""
    with open(moodle_roster(tmp_path / "export.csv"), encoding="utf-8-sig") as fh:
        text = fh.read().replace(",", ";")
    (tmp_path / "excel.csv").write_bytes(text.encode("cp1252"))
    roster(released_course, tmp_path / "excel.csv", "moodle")
    assert "jmueller,moodle,,S106,jmueller@uni.example,Jörg,Müller" in (released_course / "roster.csv").read_text()


@pytest.mark.parametrize("text", ["Name,Mail\nx,y\n", ""])
def test_a_roster_that_is_no_platforms_export_is_refused(released_course, tmp_path, text):
    (tmp_path / "roster.csv").write_text(text)
    with pytest.raises(ValueError, match="neither Canvas's gradebook export"):
        roster(released_course, tmp_path / "roster.csv", "canvas")


def test_moodles_three_download_layouts_collect_the_same_class(released_course, tmp_path):
    """Moodle's download in folders (the default, as its download_submissions names files), in folders as its later
    downloader names them, and flat: the same students' same notebooks land in submitted/."""
    collected = {}
    for kind in ("folders", "folders-downloader", "flat"):
        root = Path(shutil.copytree(released_course, tmp_path / kind))
        with open(root / "nbgrader_config.py", "a") as config:
            config.write('\nc.LearningPlatform.name = "moodle"\n')
        coursetools(root, "roster", "--csv", str(moodle_roster(tmp_path / "export.csv")))
        result = coursetools(root, "collect", "--lesson", "tiny", "--zip",
                             str(moodle_download(root, tmp_path / f"{kind}.zip", layout=kind)), check=False)
        assert "collected 4 " in result.stdout, result.stdout + result.stderr
        collected[kind] = {str(p.relative_to(root / "submitted")): p.read_bytes()
                           for p in sorted((root / "submitted").rglob("*.ipynb"))}
    assert collected["folders-downloader"] == collected["flat"] == collected["folders"] and len(collected["flat"]) == 4


def test_a_download_with_a_notebook_nobody_owns_or_no_notebook_at_all_fails_the_collect(released_course, tmp_path):
    root = released_course
    coursetools(root, "roster", "--csv", str(canvas_roster(tmp_path / "export.csv")))
    right = notebook_bytes(root, "tiny", "answer = 42")
    stray = write_zip(tmp_path / "stray.zip", {"doejane_101_5001_tiny.ipynb": right, "tiny.ipynb": right})
    result = coursetools(root, "collect", "--lesson", "tiny", "--zip", str(stray), check=False)
    assert result.returncode == 1 and "collected 1 " in result.stdout, result.stdout + result.stderr
    assert "NOT collected: stray/tiny.ipynb: a notebook not named as the platform names" in result.stdout
    empty = write_zip(tmp_path / "empty.zip", {"readme.txt": b"the wrong download"})
    result = coursetools(root, "collect", "--lesson", "tiny", "--zip", str(empty), check=False)
    assert result.returncode == 1 and "NO notebook of tiny was collected" in result.stdout, result.stdout
