"""The similarity report (coursetools/similarity.py) on a tiny stand-in course: the real lesson-1 release, and
submissions written with nbformat whose gaps hold two authors' honest answers, an exact copy and a renamed copy."""

from __future__ import annotations

import csv
import html
import re
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from coursetools.similarity import similarity

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


def test_code_outside_the_gaps_does_not_count(tmp_path):
    root = course(tmp_path)
    shared = "\n".join(f"def helper_{i}(frame, column):\n    values = frame[column].dropna().to_numpy()\n"
                       f"    return values.mean() + values.std() * {i}" for i in range(20))
    for student, answers in (("alice", solution_answers()), ("bob", OTHER)):
        nb = submit(root, student, answers)
        nb.cells.insert(3, nbformat.v4.new_code_cell(shared))  # the same big cell of their own, outside any gap
        for cell in nb.cells:  # and the same reformatting of the handed-out code in the gap cells
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
