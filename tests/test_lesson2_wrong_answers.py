"""Lesson 2's graded cells catch plausible wrong answers, each in the cell that should,
and the lesson also runs on MovieLens-100k files.

Each case runs the instructor's notebook (with its exports, as nbgrader's autograder
does) with one gap answered wrongly, up to the cell that must catch it, and with every
assert turned into one that passes, as an input transformer would: the grader's own
checks, outside the kernel, must fail the same cells.
"""

import nbformat
import pytest

from conftest import ROOT
from coursetools.trusted import CHECKS, lesson_checks, verdict
from helpers.exports import ELSEWHERE
from notebook_tools import errors, execute, grade_id, is_graded, passing_every_assert, source_path, without_markers

LESSON = "lesson2_beyond"

CASES = {
    "weighted-rating-is-plain-mean": ("gap1_weighted_rating", "    return R", {"test_gap1_weighted_rating"}),
    "weighted-rating-weights-swapped": ("gap1_weighted_rating", "    return m / (v + m) * R + v / (v + m) * C",
                                        {"test_gap1_weighted_rating"}),
    "profile-ignores-ratings": ("gap2_user_profile",
                                "    return item_genres.loc[user_ratings[ITEM_COL]].to_numpy().mean(axis=0)",
                                {"test_gap2_user_profile"}),
    "ndcg-not-normalised": ("gap3_ndcg", (
        "    return float(sum(1 / np.log2(r + 1) for r, i in enumerate(recommended[:k], start=1) if i in relevant))"),
        {"test_gap3_ndcg"}),
    "ndcg-ideal-ignores-k": ("gap3_ndcg", (
        "    if not relevant:\n        return 0.0\n"
        "    dcg = sum(1 / np.log2(r + 1) for r, i in enumerate(recommended[:k], start=1) if i in relevant)\n"
        "    return float(dcg / sum(1 / np.log2(r + 1) for r in range(1, len(relevant) + 1)))"),
        {"test_gap3_ndcg"}),
    "exclusion-changes-the-input": ("gap4_exclude_seen", "    scores[seen] = -np.inf\n    return scores",
                                    {"test_gap4_exclude_seen"}),
    "exclusion-with-zero": ("gap4_exclude_seen", "    return np.where(seen, 0.0, scores)",
                            {"test_gap4_exclude_seen", "test_gap4_no_seen_recommended"}),
    "gmf-without-biases": ("gap5_biased_gmf",
                           "        prediction = self.combine(self.user_vectors(u) * self.item_vectors(i))",
                           {"test_gap5_prediction", "test_gap5_gmf_rmse"}),
}


def answer(source: nbformat.NotebookNode, gap: str, body: str) -> str:
    """The solution cell of `gap` with its solution region replaced by `body`."""
    text = next(c.source for c in source.cells if grade_id(c) == gap)
    head, rest = text.split("### BEGIN SOLUTION", 1)
    _, tail = rest.split("### END SOLUTION", 1)
    head = head.rstrip(" ")
    return head + body + "\n" + tail.lstrip(" ").lstrip("\n") if tail.strip() else head + body


@pytest.mark.parametrize("case", CASES)
def test_wrong_answer_fails_where_it_should(case, tmp_path, monkeypatch):
    gap, body, must_fail = CASES[case]
    nb = nbformat.read(source_path(LESSON), as_version=4)
    for cell in nb.cells:
        if grade_id(cell) == gap:
            cell.source = answer(nb, gap, body)
        cell.source = passing_every_assert(without_markers(cell.source))
    last = max(i for i, c in enumerate(nb.cells) if grade_id(c) in must_fail)
    nb.cells = nb.cells[: last + 1]
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv(ELSEWHERE, str(tmp_path))
    ran = execute(nb, source_path(LESSON).parent)
    checks = lesson_checks(ROOT / "solutions" / LESSON / CHECKS)
    failed = {grade_id(c) for c in ran.cells if is_graded(c) and grade_id(c).startswith("test_")
              and (errors(c) or verdict(checks, grade_id(c), tmp_path))}
    assert failed == must_fail


def test_lesson2_runs_on_movielens_files(tmp_path, monkeypatch):
    """With MOVIELENS_PATH set, the solution runs end to end on data in MovieLens-100k's format."""
    import helpers
    from helpers.movielens import ML100K_GENRES

    taste, items = helpers.make_taste_data(n_users=300, n_items=200, ratings_per_user=40, seed=5)
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    stars = ((taste["rating"] + 1) / 2).round().clip(1, 5).astype(int)  # 1-9 -> 1-5 stars
    lines = [f"{int(u) + 1}\t{int(i) + 1}\t{r}\t881250949" for u, i, r in zip(taste["user_id"], taste["item_id"], stars)]
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    genre_sets = items["genres"].str.split(", ").map(set)
    rows = ["|".join([str(int(i) + 1), f"Film {i} (1996)", "01-Jan-1996", "", "http://example.org",
                      *("1" if g in gs else "0" for g in ML100K_GENRES)])
            for i, gs in zip(items["item_id"], genre_sets)]
    (folder / "u.item").write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    monkeypatch.setenv("MOVIELENS_PATH", str(folder))
    nb = nbformat.read(source_path(LESSON), as_version=4)
    ran = execute(nb, source_path(LESSON).parent)
    data_cell = next(c for c in ran.cells if "MOVIELENS_PATH is None" in c.source)
    shown = data_cell.outputs[0].data["text/plain"]
    assert "true_rating" not in shown and "rating" in shown, "the MovieLens files were not the data used"
    for cell in ran.cells:
        assert not errors(cell), f"{grade_id(cell) or cell.source[:60]!r} raised {errors(cell)}"
