"""The pure parts of the similarity report (coursetools/similarity.py): which code is a student's own, statements that
do nothing dropped before comparing, and reading a submission without trusting it. No nbgrader run, no copydetect."""

from __future__ import annotations

import os

import nbformat
import pytest

from coursetools import similarity as sim

PLAIN = "ratings = load(path)\nfor row in ratings:\n    total = total + row\nscore = total / len(ratings)"


def keys(code: str) -> list[str]:
    """The statements that count in `code`, as the report keys them."""
    return [key for key, _ in sim.statements(sim.normalised(code))]


@pytest.mark.parametrize("padding", [
    "pass", "None", "0", "...", '"a note"', '"""a docstring"""', "total", "total = total",
    "ratings.shape = ratings.shape", "ratings[0] = ratings[0]", "total, score = total, score", "total += 0",
    "total *= 1", "total: float",
    "assert True", "if total: pass", "try:\n    pass\nexcept ValueError:\n    total = 0", "total + 0", "f'{total}'",
])
def test_padding_after_every_statement_is_dropped(padding):
    lines = []
    for line in PLAIN.splitlines():
        indent = line[:len(line) - len(line.lstrip())] + ("    " if line.endswith(":") else "")
        lines += [line] + [indent + pad for pad in padding.splitlines()]
    assert keys("\n".join(lines)) == keys(PLAIN)
    if ":" not in padding:  # a simple statement can also follow another on its line
        assert keys(PLAIN.replace("\n", f"; {padding}\n", 1)) == keys(PLAIN)


def test_statements_that_do_something_are_kept():
    code = ("total = score\ntotal += 1\ntotal, score = score, total\nratings = ratings.copy()\nprint(total)\n"
            "del score\nx = (y := 2)\nif check(total):\n    pass\nassert total")
    assert len(keys(code)) == 9  # all but the `pass` inside the `if`, whose test calls check
    assert sim.normalised('def f():\n    """Doc."""\n    return 1') == "def f():\n    return 1"
    assert sim.normalised("x = 1; pass") == "x = 1" and sim.normalised("pass; x = 1") == "x = 1"
    deep = "x = " + "+".join(["x"] * 1000)  # parses, but deeper than ast.dump goes
    assert sim.normalised(deep + "\npass") == deep


def test_cells_with_magics_or_errors_are_still_normalised():
    assert sim.normalised("%matplotlib inline\nx = 1\npass\n!ls") == (
        "get_ipython().run_line_magic('matplotlib', 'inline')\nx = 1\nget_ipython().system('ls')")
    assert keys("y = = 2\npass\nx = 1\nNone") == ["y = = 2", "x = 1"]  # does not parse: statement by statement
    assert keys("x = 1\npass\ny = (") == ["x=1", "y=("]  # does not even tokenize: line by line


def test_a_cell_keeping_handed_out_statements_counts_only_its_own():
    release = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\n# Hint: fit the model.\nraise NotImplementedError()"),
        nbformat.v4.new_code_cell("history = model.fit(train, epochs=5, verbose=0)\nhistory.history")])
    given = sim.handed_out(release, None)
    cell = ("history = model.fit(\n    train,  # mine\n    epochs=5, verbose=0)\n# Hint: fit the model.\n"
            "import numpy as np\nscore = model.evaluate(test)  # then evaluate\nNone")
    assert sim.written_code(cell, given) == "score = model.evaluate(test)  # then evaluate"
    assert sim.written_code("import numpy as np\n\npass\nhistory.history", given) == ""


def test_the_solution_without_markers_and_hidden_tests():
    cell = ("# Gap 1\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\nassert x\n### BEGIN HIDDEN TESTS\n"
            "export(x=x)\n### END HIDDEN TESTS")
    assert sim.split_solution(cell) == ("# Gap 1\nx = 1\nassert x", "export(x=x)")
    release = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("assert x")])
    solution = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    given = sim.handed_out(release, solution)  # the hidden tests are the course's code, not a student's
    assert sim.written_code("x = 1\nexport(x=x)\nassert x", given) == "x = 1"
    assert sim.notebook_code(solution, given, public=True) == "# cell 1\n# Gap 1\nx = 1\n"


def test_cells_are_named_by_a_plain_grade_id_only():
    cell = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "gap1\nimport os"}})
    assert sim.cell_label(cell, 3) == "cell 3"
    cell.metadata.nbgrader.grade_id = "gap1_extract-genres.v2"
    assert sim.cell_label(cell, 3) == "gap1_extract-genres.v2"
    odd = nbformat.from_dict({"cells": [{"cell_type": "code", "source": 5, "metadata": []},
                                        {"cell_type": "code", "source": "y = 2", "metadata": "x"}]})
    assert sim.notebook_code(odd, set()) == "# cell 2\ny = 2\n"


def test_a_submission_is_read_without_trusting_it(tmp_path, monkeypatch):
    good = tmp_path / "good" / "lesson" / "lesson.ipynb"
    good.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), good)
    assert sim.read_submission(good).cells[0].source == "x = 1"
    cases = {"link": "a link", "folder": "a link", "fifo": "not a regular file", "big": "bigger than",
             "damaged": "not a readable notebook"}
    for case in cases:
        (tmp_path / case / "lesson").mkdir(parents=True)
    (tmp_path / "link" / "lesson" / "lesson.ipynb").symlink_to(good)
    (tmp_path / "folder" / "lesson").rmdir()
    (tmp_path / "folder" / "lesson").symlink_to(good.parent)
    os.mkfifo(tmp_path / "fifo" / "lesson" / "lesson.ipynb")  # opening it must not wait for a writer
    (tmp_path / "big" / "lesson" / "lesson.ipynb").write_text(good.read_text() + " " * 100)
    (tmp_path / "damaged" / "lesson" / "lesson.ipynb").write_text("{not a notebook")
    monkeypatch.setattr(sim, "MAX_NOTEBOOK_BYTES", len(good.read_bytes()) + 50)
    assert sim.read_submission(good).cells[0].source == "x = 1"
    for case, reason in cases.items():
        with pytest.raises(ValueError, match=reason):
            sim.read_submission(tmp_path / case / "lesson" / "lesson.ipynb")


def test_names_are_not_formulas_in_pairs_csv():
    assert [sim.spreadsheet_text(v) for v in ("=1+1", "+a", "-a", "@a", "a=b", "solution (public: solutions/x)", 0.5)] \
        == ["'=1+1", "'+a", "'-a", "'@a", "a=b", "solution (public: solutions/x)", 0.5]
    assert "/" in sim.public_label("lesson1_basics")  # which no student's folder name can hold


def test_odd_characters_and_too_much_code():
    code = 'x = "a\u2028b"  # \x0c\ny = x\npass'  # neither is a line break to Python, but both are to str.splitlines
    assert keys(code) == ['x = "a\u2028b"', "y = x"]
    assert sim.written_code(code, {"y = x"}) == 'x = "a\u2028b"  # \x0c'
    cells = [nbformat.v4.new_code_cell("x = 1")] * (sim.MAX_CODE_CELLS + 1)
    assert "code cells" in sim.too_much(nbformat.NotebookNode(cells=cells))
    big = nbformat.v4.new_code_cell("x = 1\n" * (sim.MAX_CODE_CHARS // 6 + 1))
    assert "characters of code" in sim.too_much(nbformat.NotebookNode(cells=[big]))
    assert sim.too_much(nbformat.NotebookNode(cells=cells[:40])) is None
    assert sim.printable("caf\udcc3") == "caf\ufffd" and sim.printable("café") == "café"


def test_code_that_runs_what_it_decodes_is_named_for_a_look_by_hand():
    from coursetools.similarity import builds_code

    hidden = "exec(__import__('base64').b64decode('cHJpbnQoMSk=').decode()[::-1])"
    assert builds_code(hidden) and builds_code("import zlib\nrun = zlib.decompress(blob)")
    assert not builds_code("ratings = pd.read_csv(path)\nmodel.compile(optimizer='adam')"), "Keras's compile is fine"
    assert not builds_code("scores = np.dot(a, b)\nprint(scores)")
