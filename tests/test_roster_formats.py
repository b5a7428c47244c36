"""The class lists make roster reads, in each platform's own layout (tests/platform_files.py says whose code each
follows): pure reading, no course needed."""

from __future__ import annotations

from coursetools.roster import read_export
from platform_files import CLASS, canvas_roster, moodle_roster


def test_moodle_3_and_4_exports_give_the_same_class(tmp_path):
    three, _ = read_export(moodle_roster(tmp_path / "moodle3.csv", surname=True))
    four, columns = read_export(moodle_roster(tmp_path / "moodle4.csv"))
    assert three == four and [m.last_name for m in four] == [last for _, last, _, _ in CLASS]
    assert columns == ["Assignment: Tiny (Real)"]


def test_canvas_export_skips_its_points_possible_and_test_student(tmp_path):
    members, _ = read_export(canvas_roster(tmp_path / "canvas.csv"))
    assert [m.platform_user_id for m in members] == [uid for _, _, uid, _ in CLASS]
