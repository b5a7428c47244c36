"""The similarity report (coursetools/similarity.py) on a tiny stand-in course: the real lesson-1 release, and
submissions written with nbformat whose gaps hold honest answers of three authors, an exact copy and a renamed copy;
with the real public solution, a copy moved out of the gap cells, a renamed copy padded with statements that do
nothing, the solution handed in as is, and submissions that are a link or a named pipe."""

from __future__ import annotations

import ast
import csv
import html
import itertools
import os
import re
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from coursetools.similarity import public_label, similarity

ROOT = Path(__file__).resolve().parents[1]
LESSON = "lesson1_basics"
# Measured: the two authors' honest answers 0.0 (0.63 if whole gap cells were compared, handed-out code included; 0.66
# in test 2 if the handed-out code were taken out line by line; 0.35 with a k-gram of 12); both copies 1.0.
HONEST = 0.3
COPY = 0.8


def solution_answers() -> dict[str, str]:
    """Author 1: the text between ### BEGIN SOLUTION and ### END SOLUTION of each gap in the solution notebook."""
    nb = nbformat.read(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4)
    found = {cell.metadata["nbgrader"]["grade_id"]: re.search(r"### BEGIN SOLUTION\n(.*?)\n\s*### END", cell.source,
                                                              re.S)
             for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution")}
    return {grade_id: textwrap.dedent(match.group(1)) for grade_id, match in found.items()}


# Author 2: correct answers written another way (loops and numpy where the hints suggest pandas and scikit-learn).
OTHER = {
    "gap1_extract_genres": '# one list of genres per item <script>alert("bob")</script>\n'
                           'pieces = rated_items["genres"].str.split(",").tolist()\n'
                           "genre = pd.DataFrame(pieces, index=rated_items.index)",
    "gap2_genre_columns": "item_genre_mat = pd.DataFrame(0, index=genre_strings.index, columns=all_genre)\n"
                          "for item, names in genre_strings.items():\n"
                          '    for name in names.split(", "):\n'
                          "        item_genre_mat.loc[item, name] = 1",
    "gap3_cosine": "matrix = item_genre_mat.to_numpy().astype(float)\n"
                   "norms = np.sqrt((matrix ** 2).sum(axis=1))\n"
                   "unit = matrix / norms[:, None]\n"
                   "corr_mat = unit @ unit.T",
    "gap4_user_vocabulary": "user_vocabulary = np.array(sorted(set(ratings[USER_COL].astype(str))))",
    "gap5_item_vocabulary": "item_vocabulary = np.array(sorted(set(ratings[ITEM_COL].astype(str))))",
    "gap6_rating_model": "multiply = tf.keras.layers.Multiply()\nx = multiply([user_input, item_input])",
    "gap7_ranking_task": "rmse = tf.keras.metrics.RootMeanSquaredError()\n"
                         "loss = tf.keras.losses.MeanSquaredError()\n"
                         "metrics = [rmse]",
    "gap8_fit": "history = model.fit(x=train_ds, epochs=EPOCHS, verbose=0,\n"
                "                    validation_data=test_ds)",
}

# Author 2's answers lightly disguised: variables renamed, comments changed, blank lines added.
RENAMED = {
    "gap1_extract_genres": "# split the genre string\n\n"
                           'lists_of_genres = rated_items["genres"].str.split(",").tolist()\n'
                           "genre = pd.DataFrame(lists_of_genres, index=rated_items.index)  # the frame",
    "gap2_genre_columns": "item_genre_mat = pd.DataFrame(0, index=genre_strings.index, columns=all_genre)\n\n"
                          "for movie, genre_list in genre_strings.items():\n"
                          "    # mark each genre of the movie\n"
                          '    for g in genre_list.split(", "):\n'
                          "        item_genre_mat.loc[movie, g] = 1",
    "gap3_cosine": "values = item_genre_mat.to_numpy().astype(float)\n"
                   "lengths = np.sqrt((values ** 2).sum(axis=1))  # row lengths\n\n"
                   "normalised = values / lengths[:, None]\n"
                   "corr_mat = normalised @ normalised.T",
    "gap4_user_vocabulary": "user_vocabulary = np.array(sorted(set(ratings[USER_COL].astype(str))))  # users",
    "gap5_item_vocabulary": "item_vocabulary = np.array(sorted(set(ratings[ITEM_COL].astype(str))))",
    "gap6_rating_model": "product_layer = tf.keras.layers.Multiply()\n\nx = product_layer([user_input, item_input])",
    "gap7_ranking_task": "root_mse = tf.keras.metrics.RootMeanSquaredError()\n"
                         "loss = tf.keras.losses.MeanSquaredError()  # the loss\n"
                         "metrics = [root_mse]",
    "gap8_fit": "history = model.fit(x=train_ds, epochs=EPOCHS, verbose=0,\n"
                "                    validation_data=test_ds)",
}


def course(root: Path) -> Path:
    """A course in `root` holding only the real lesson-1 release (its gap cells are the stubs handed out)."""
    release = root / "notebooks" / LESSON / f"{LESSON}.ipynb"
    release.parent.mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / LESSON / f"{LESSON}.ipynb", release)
    return root


def submit(root: Path, student: str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """Hand in the release with each gap's `raise NotImplementedError` line replaced by `answers` (as indented)."""
    nb = nbformat.read(root / "notebooks" / LESSON / f"{LESSON}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            lines = cell.source.splitlines()
            at = next(i for i, line in enumerate(lines) if "raise NotImplementedError" in line)
            indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
            lines[at:at + 1] = [indent + line if line else "" for line in answers[grade_id].splitlines()]
            cell.source = "\n".join(lines)
    write(root, student, nb)
    return nb


def write(root: Path, student: str, nb: nbformat.NotebookNode) -> Path:
    """Write `nb` as `student`'s submission of the lesson."""
    path = root / "submitted" / student / LESSON / f"{LESSON}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def pairs(out: Path) -> dict[frozenset, dict]:
    """pairs.csv's rows by the pair of students."""
    with open(out / "pairs.csv", newline="") as f:
        return {frozenset((row["student_a"], row["student_b"])): row for row in csv.DictReader(f)}


def reflow(line: str) -> str:
    """A long call as a code formatter might break it: what its first bracket holds on a line of its own, commented."""
    if len(line) < 60 or "(" not in line or not line.endswith(")") or line.lstrip().startswith("#"):
        return line
    indent = line[:len(line) - len(line.lstrip())]
    head, _, inside = line.partition("(")
    return f"{head}(\n{indent}    {inside[:-1]}  # reflowed\n{indent})"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The report of four submissions: two authors (alice, bob), an exact copy of alice's, a renamed copy of bob's."""
    root = course(tmp_path_factory.mktemp("course"))
    submit(root, "alice", solution_answers())
    (root / "submitted/carol" / LESSON).mkdir(parents=True)
    shutil.copy(root / "submitted/alice" / LESSON / f"{LESSON}.ipynb", root / "submitted/carol" / LESSON)
    submit(root, "bob", OTHER)
    submit(root, "dave", RENAMED)
    assert similarity(root, LESSON) == 0
    return root / "similarity" / LESSON


def test_copies_rank_first_and_honest_answers_score_low(report):
    rows = pairs(report)
    assert len(rows) == 6
    exact, renamed = rows[frozenset({"alice", "carol"})], rows[frozenset({"bob", "dave"})]
    honest = rows[frozenset({"alice", "bob"})]
    assert {exact["rank"], renamed["rank"]} == {"1", "2"}
    assert float(exact["similarity"]) >= COPY and float(renamed["similarity"]) >= COPY
    others = [row for pair, row in rows.items() if pair not in ({"alice", "carol"}, {"bob", "dave"})]
    assert all(float(row["similarity"]) < HONEST for row in others), others  # alice or carol with bob or dave
    assert int(honest["rank"]) > 2


def test_handed_out_code_does_not_count(tmp_path):
    root = course(tmp_path)
    release = nbformat.read(root / "notebooks" / LESSON / f"{LESSON}.ipynb", as_version=4)
    provided = next(cell.source for cell in release.cells if "def df_to_ds" in cell.source)
    for student, answers in (("alice", solution_answers()), ("bob", OTHER)):
        nb = submit(root, student, answers)
        # a handed-out cell copied to a new cell of their own, reformatted, and the handed-out code in the gap cells
        nb.cells.insert(3, nbformat.v4.new_code_cell("\n".join(map(reflow, provided.splitlines()))))
        for cell in nb.cells:  # reformatted the same way
            if cell.metadata.get("nbgrader", {}).get("grade_id") in ("gap6_rating_model", "gap7_ranking_task"):
                cell.source = "\n".join(map(reflow, cell.source.splitlines()))
        write(root, student, nb)
        assert sum(cell.source.count("# reflowed") for cell in nb.cells) >= 7
    assert similarity(root, LESSON) == 0
    (row,) = pairs(root / "similarity" / LESSON).values()
    assert float(row["similarity"]) < HONEST, row


def test_report_has_the_note_the_top_pair_and_escapes_code(report):
    page = (report / "report.html").read_text()
    assert "not proof of copying" in page and "study group" in page
    assert page.index("not proof") < page.index("<h1")
    assert LESSON in page and "4 submissions" in page
    top = next(row for row in pairs(report).values() if row["rank"] == "1")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for student in (top["student_a"], top["student_b"]):
        code = (report / "code" / f"{student}.py").read_text()
        assert code.strip() in text
    assert "&lt;script&gt;alert(" in page and "<script" not in page.lower()


def test_bad_input(tmp_path, capsys):
    root = course(tmp_path)
    with pytest.raises(KeyError, match=f"lesson9.*{LESSON}"):
        similarity(root, "lesson9")
    with pytest.raises(FileNotFoundError, match="submitted/<student>/"):
        similarity(root, LESSON)
    submit(root, "alice", solution_answers())
    broken = write(root, "bob", nbformat.v4.new_notebook())
    broken.write_text("{not a notebook")
    assert similarity(root, LESSON) == 0
    printed = capsys.readouterr().out
    assert "nothing to compare" in printed and "bob" in printed
    assert (root / "similarity" / LESSON / "pairs.csv").read_text().splitlines() == [
        "rank,student_a,student_b,similarity,similarity_a,similarity_b,shared_tokens"]


def test_replaces_only_its_own_report(tmp_path):
    root = course(tmp_path)
    for student in ("alice", "bob", "carol"):
        submit(root, student, OTHER if student == "bob" else solution_answers())
    similarity(root, LESSON)
    shutil.rmtree(root / "submitted" / "carol")
    similarity(root, LESSON)
    out = root / "similarity" / LESSON
    assert sorted(p.name for p in (out / "code").iterdir()) == ["alice.py", "bob.py"] and len(pairs(out)) == 1
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("the instructor's")
    with pytest.raises(ValueError):
        similarity(root, LESSON, out=mine)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


# Author 3: correct answers written a third way, for a class in which the public solution is compared too.
THIRD = {
    "gap1_extract_genres": 'split = rated_items["genres"].str.split(",")\n'
                           "genre = pd.DataFrame({0: split.str[0], 1: split.str[1]}, index=rated_items.index)",
    "gap2_genre_columns": "columns = {}\n"
                          "for name in all_genre:\n"
                          "    has = [name in [g.strip() for g in s.split(',')] for s in genre_strings]\n"
                          "    columns[name] = np.array(has, dtype=int)\n"
                          "item_genre_mat = pd.DataFrame(columns, index=genre_strings.index)",
    "gap3_cosine": "m = item_genre_mat.values.astype(float)\n"
                   "size = np.linalg.norm(m, axis=1)\n"
                   "corr_mat = m.dot(m.T) / np.outer(size, size)",
    "gap4_user_vocabulary": "user_vocabulary = ratings[USER_COL].drop_duplicates().to_numpy(dtype=str)",
    "gap5_item_vocabulary": "item_vocabulary = ratings[ITEM_COL].drop_duplicates().to_numpy(dtype=str)",
    "gap6_rating_model": 'x = tf.keras.layers.Multiply(name="product")([user_input, item_input])',
    "gap7_ranking_task": 'loss = tf.keras.losses.MeanSquaredError(name="mse")\n'
                         'metrics = [tf.keras.metrics.RootMeanSquaredError(name="root_mean_squared_error")]',
    "gap8_fit": "history = model.fit(train_ds, epochs=EPOCHS, verbose=0, validation_data=test_ds)",
}
PADDING = ["pass", "None", "0", "{name} = {name}", '"""checked"""']  # the red team's do-nothing statements, in turn


def padded(code: str, turn: Iterator[int]) -> str:
    """`code` with a do-nothing statement after each of its statements, at the statement's indent, taken in turn."""
    lines, after = code.splitlines(), {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.stmt):
            name = next((t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)), None)
            pad = PADDING[next(turn) % len(PADDING)]
            pad = pad.format(name=name) if name or "{" not in pad else "pass"
            after.setdefault(node.end_lineno, []).append(" " * node.col_offset + pad)
    return "\n".join(line for n, text in enumerate(lines, 1)  # at a block's end, its own padding before the outer's
                     for line in [text, *sorted(after.get(n, []), key=lambda pad: -len(pad) + len(pad.lstrip()))])


def moved(root: Path, student: str, answered: nbformat.NotebookNode) -> None:
    """Hand in the release with each gap cell left as handed out and, in a new cell below it, `answered`'s cell."""
    nb = nbformat.read(root / "notebooks" / LESSON / f"{LESSON}.ipynb", as_version=4)
    filled = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in answered.cells
              if cell.metadata.get("nbgrader", {}).get("solution")}
    for at in reversed(range(len(nb.cells))):
        grade_id = nb.cells[at].metadata.get("nbgrader", {}).get("grade_id")
        if nb.cells[at].metadata.get("nbgrader", {}).get("solution"):
            nb.cells.insert(at + 1, nbformat.v4.new_code_cell(filled[grade_id]))
    write(root, student, nb)


@pytest.fixture(scope="module")
def public_report(tmp_path_factory) -> Path:
    """A class with the public solution: honest bob and hana; erin, bob's answers moved into new cells under the gaps;
    frank, bob's renamed answers padded; grace, the public solution handed in as is; alice, its answers in the release;
    mallory, a link to it; nadia, a named pipe."""
    root = course(tmp_path_factory.mktemp("course"))
    (root / "solutions" / LESSON).mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb", root / "solutions" / LESSON)
    answered = submit(root, "bob", OTHER)
    submit(root, "hana", THIRD)
    moved(root, "erin", answered)
    turn = itertools.count()
    frank = submit(root, "frank", {gap: padded(code, turn) for gap, code in RENAMED.items()})
    for cell in frank.cells:  # every padded gap cell is still Python that runs
        if cell.cell_type == "code":
            compile(cell.source, "frank", "exec")
    assert sum(cell.source.count("pass") for cell in frank.cells) >= 4
    write(root, "grace", nbformat.read(root / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4))
    submit(root, "alice", solution_answers())
    (root / "submitted/mallory" / LESSON).mkdir(parents=True)
    solution = root / "solutions" / LESSON / f"{LESSON}.ipynb"
    (root / "submitted/mallory" / LESSON / f"{LESSON}.ipynb").symlink_to(solution)
    (root / "submitted/nadia" / LESSON).mkdir(parents=True)
    os.mkfifo(root / "submitted/nadia" / LESSON / f"{LESSON}.ipynb")  # reading it would wait for ever
    assert similarity(root, LESSON) == 0
    return root / "similarity" / LESSON


# Measured on public_report: the moved copy (erin) and the padded renamed copy (frank) score 1.0 with bob and with each
# other, grace (the public solution handed in as is) 1.0 with the solution, every other pair 0.0. The code before
# (gap cells only, no padding dropped, no solution) scored bob-erin 0.0 and bob-frank 0.25, and had no solution row.
def test_moved_and_padded_copies_rank_above_every_honest_pair(public_report):
    rows = pairs(public_report)
    copies = [frozenset(pair) for pair in (("bob", "erin"), ("bob", "frank"), ("erin", "frank"))]
    copied = copies + [frozenset(pair) for pair in itertools.combinations(["alice", "grace", public_label(LESSON)], 2)]
    honest = [row for pair, row in rows.items() if pair not in copied]  # alice's and grace's other pairs too
    assert len(honest) == 15 and all(float(row["similarity"]) < HONEST for row in honest), honest
    for pair in copies:
        assert float(rows[pair]["similarity"]) >= COPY, rows[pair]
        assert int(rows[pair]["rank"]) < min(int(row["rank"]) for row in honest)


def test_the_public_solution_handed_in_is_flagged(public_report):
    rows, label = pairs(public_report), public_label(LESSON)
    assert sum(label in pair for pair in rows) == 6 and "solutions/" in label  # one row with each readable submission
    handed_in, answers = rows[frozenset({"grace", label})], rows[frozenset({"alice", label})]
    assert float(handed_in["similarity"]) >= COPY and float(answers["similarity"]) >= COPY
    assert max(int(handed_in["rank"]), int(answers["rank"])) <= 6, (handed_in, answers)  # with the 4 other copies
    for student in ("bob", "hana", "erin", "frank"):  # the honest and the copies of bob's share nothing with it
        assert float(rows[frozenset({student, label})]["similarity"]) < HONEST
    page = (public_report / "report.html").read_text()
    assert "public solution" in page and f"<h2>{handed_in['rank']}. grace and {html.escape(label)}: 1.0</h2>" in page
    assert "not proof of copying" in page and "7 submissions" not in page and "6 submissions" in page
    assert "mallory (a link, which is never followed); nadia (not a regular file)" in page  # listed for a look


def test_what_students_control_is_escaped(tmp_path):
    root = course(tmp_path)
    names = ['=HYPERLINK("x")<b>', "carol <img src=x onerror=alert(1)>"]  # a folder name can hold all but "/"
    shared = dict(THIRD, gap3_cosine=THIRD["gap3_cosine"] + '\nnote = "</pre><script>alert(1)</script>"')
    for name in names:
        submit(root, name, shared)
    assert similarity(root, LESSON) == 0
    out = root / "similarity" / LESSON
    page = (out / "report.html").read_text()
    assert "<b>" not in page and "<img" not in page and "<script" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    highlighted = re.findall(r"<mark class='a'>(.*?)</mark>", page, re.S)
    assert any("&lt;/pre&gt;&lt;script&gt;" in part for part in highlighted)  # highlight_overlap's output, escaped
    with open(out / "pairs.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert {row["student_a"], row["student_b"]} == {"'" + names[0], names[1]}  # not run as a formula
    assert float(row["similarity"]) >= COPY
