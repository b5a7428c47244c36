"""make release refuses a lesson that cannot be graded as it says (coursetools/release_checks.py): a graded cell with
no check of the grader's own, a check with no cell, a hidden part that does more than export, a check the solution
fails, one the blank notebook passes; and it names the cell and the fix. A lesson fixed is released."""

from __future__ import annotations

import nbformat

from conftest import ROOT
from coursetools.release_checks import hidden_problems, pairing_problems, static_problems
from notebook_tools import ASSIGNMENTS, coursetools
from tiny_course import VERIFY, make_tiny_course, tiny_source


def graded_cell(hidden: str, name: str = "check") -> nbformat.NotebookNode:
    """A graded test cell with `hidden` as its hidden part."""
    cell = nbformat.v4.new_code_cell(f"assert answer == 42\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": name, "locked": True, "points": 1, "solution": False}
    return cell


def test_a_hidden_part_that_only_exports_passes_and_one_that_checks_is_named():
    assert hidden_problems(graded_cell('import helpers\nx = 1\nwith np.errstate(all="ignore"):\n'
                                     '    y = f(x)\nhelpers.export("check", y=y)')) == []
    for hidden, what in (('assert answer == 42\nhelpers.export("check", a=answer)', "an `assert`"),
                         ('if answer != 42:\n    raise ValueError\nhelpers.export("check", a=answer)', "an `if`"),
                         ('print(answer)\nhelpers.export("check", a=answer)', "a call of print()"),
                         ('with ctx():\n    assert answer\nhelpers.export("check", a=answer)', "an `assert`")):
        found = hidden_problems(graded_cell(hidden))
        assert len(found) == 1 and found[0].startswith(f"check: its hidden part has {what}"), found
        assert "move the check to verify.py's check()" in found[0]
    assert "never calls helpers.export(\"check\"" in hidden_problems(graded_cell('helpers.export("other", a=1)'))[0]
    assert "no hidden part" in hidden_problems(nbformat.v4.new_code_cell("assert True", metadata=graded_cell("").metadata))[0]


def test_a_graded_cell_without_its_check_and_a_check_without_its_cell_are_named():
    class Checks:
        def check(self, got, world): ...
        def test_removed(self, got, world): ...

    found = pairing_problems([graded_cell("", "check"), graded_cell("", "test_new")], Checks())
    assert found[0].startswith("test_new: a graded cell with no check") and "def test_new(got, world)" in found[0]
    assert found[1].startswith("test_removed: verify.py checks a cell the lesson does not grade"), found


def test_the_course_lessons_pass_what_reading_them_checks():
    for lesson in ASSIGNMENTS:
        assert static_problems(ROOT / "solutions" / lesson / f"{lesson}.ipynb") == [], lesson


def test_release_refuses_each_broken_lesson_naming_the_cell_and_releases_it_once_fixed(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASE_CHECKS", "all")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "course").mkdir()
    root = make_tiny_course(tmp_path / "course")
    tiny = root / "solutions" / "tiny" / "tiny.ipynb"
    nb = nbformat.read(tiny, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("import helpers\n", "import helpers\nassert answer == 42\n")
    nbformat.write(nb, tiny)  # an assert in the hidden part, nbgrader's own way to write a check
    (root / "solutions" / "tiny2" / "verify.py").write_text(VERIFY.replace("42", "43"))  # the solution fails it
    result = coursetools(root, "release", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "tiny: NOT released" in result.stderr and "check: its hidden part has an `assert`" in result.stderr
    assert "tiny2: NOT released" in result.stderr and "check: fails on the solution (answer should be 43, got 42)" \
        in result.stderr, result.stderr
    assert not (root / "notebooks").exists() and not (root / "gradebook.db").exists(), "something was released"

    nb.cells[1].source = '### BEGIN HIDDEN TESTS\nimport helpers\nhelpers.export("check", answer=0)\n### END HIDDEN TESTS'
    nbformat.write(nb, tiny)  # a cell that checks nothing and exports a constant ...
    (root / "solutions" / "tiny" / "verify.py").write_text(VERIFY.replace("answer = got[\"answer\"]", "return"))
    result = coursetools(root, "release", "--lessons", "tiny", check=False)  # ... to a check that passes anything
    assert result.returncode == 1 and "check: passes on the blank student notebook" in result.stderr, result.stderr

    nbformat.write(tiny_source("tiny"), tiny)
    (root / "solutions" / "tiny" / "verify.py").write_text(VERIFY)
    (root / "solutions" / "tiny2" / "verify.py").write_text(VERIFY)
    result = coursetools(root, "release", check=False)
    assert result.returncode == 0 and "released tiny, tiny2" in result.stdout, result.stdout + result.stderr
    assert "running the solution" in result.stdout and len(list((tmp_path / "cache").rglob("*"))) > 2
    again = coursetools(root, "release")
    assert "running the solution" not in again.stdout, "unchanged lessons that passed are not run again"

