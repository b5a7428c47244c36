"""Lesson 1's graded cells catch plausible wrong answers, each in the cell that should.

The notebook run here is the one nbgrader's autograder runs: the student's
answers with the instructor's test cells, hidden tests included.
"""

import nbformat
import pytest

from notebook_tools import (
    errors, execute, fill_in, grade_id, is_graded, source_path, student_path, without_markers,
)

LESSON = "lesson1_basics"

# (name, {gap grade_id: wrong answer}, {text in a provided cell: its new source}, graded cell that must fail)
# A few cases also name the assertion message that must explain the failure.
WHY = {
    "mean absolute error loss": "the mean squared error is 2.5",
    "model never trained": "the item embedding is unchanged",
    "overfitted model with a typed-in RMSE": "the model's own test RMSE",
    "dot product instead of cosine": "the diagonal should be 1",
}
WRONG_ANSWERS = [
    ("genre as a Series of lists", {"gap1_extract_genres": 'genre = rated_items["genres"].str.split(",")'},
     {}, "test_gap1_genre"),
    ("genre columns keep capitals",
     {"gap2_genre_columns": 'item_genre_mat = item_genre_mat.join(rated_items["genres"].str.get_dummies(sep=", "))'},
     {}, "test_gap2_genre_matrix"),
    ("genre columns keep spaces",
     {"gap2_genre_columns": 'item_genre_mat = item_genre_mat.join(item_genre_mat["genres"].str.get_dummies(sep=","))'},
     {}, "test_gap2_genre_matrix"),
    ("a NaN genre column",
     {"gap2_genre_columns": (
         'for g in list(all_genre) + [np.nan]:\n'
         '    item_genre_mat[g] = item_genre_mat["genres"].str.contains(str(g)).astype(int)')},
     {}, "test_gap2_genre_matrix"),
    ("a genre matched as a substring of another item's text",
     {"gap2_genre_columns": (
         'for g in all_genre:\n'
         '    item_genre_mat[g] = item_genre_mat["genres"].str.contains(g[:2]).astype(int)')},
     {}, "test_gap2_genre_matrix"),
    ("dot product instead of cosine",
     {"gap3_cosine": "corr_mat = item_genre_mat.to_numpy() @ item_genre_mat.to_numpy().T"},
     {}, "test_gap3_cosine"),
    ("cosine of the genre x genre matrix", {"gap3_cosine": "corr_mat = cosine_similarity(item_genre_mat.T)"},
     {}, "test_gap3_cosine"),
    ("unstable top-k with the query included",
     {}, {"def top_k_items": (
         "def top_k_items(item, k, similarity, index):\n"
         "    return [index[i] for i in similarity[index.get_loc(item)].argsort()[-k:][::-1]]")},
     "test_top_k"),
    ("user ids with duplicates", {"gap4_user_vocabulary": "user_vocabulary = ratings[USER_COL].to_numpy(dtype=str)"},
     {}, "test_gap4_user_vocabulary"),
    ("item ids as integers", {"gap5_item_vocabulary": "item_vocabulary = np.arange(1000)"},
     {}, "test_gap5_item_vocabulary"),
    ("embeddings added, not multiplied",
     {"gap6_rating_model": None}, {}, "test_gap6_rating_model"),
    ("mean absolute error loss", {"gap7_ranking_task": None}, {}, "test_gap7_ranking_task"),
    ("model never trained", {"gap8_fit": "history = tf.keras.callbacks.History()\nhistory.history = {'loss': [0.0] * EPOCHS}"},
     {}, "test_gap8_training_rmse"),
    ("overfitted model with a typed-in RMSE",
     {"gap8_fit": "model.optimizer.learning_rate.assign(0.05)\n"
                  "history = model.fit(train_ds, epochs=EPOCHS, verbose=0)"},
     {"result = model.evaluate(test_ds": "gmf_rmse, baseline_rmse = 2.574, 2.574"},
     "test_gap8_training_rmse"),
]


def replace_in_solution(source, gap: str, old: str, new: str) -> str:
    """The solution of `gap` with `old` replaced by `new` (for wrong answers inside a class)."""
    text = without_markers(next(c.source for c in source.cells if grade_id(c) == gap))
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(("name", "answers", "edits", "must_fail"), WRONG_ANSWERS, ids=[w[0] for w in WRONG_ANSWERS])
def test_wrong_answer_loses_points_where_it_should(name, answers, edits, must_fail):
    source = nbformat.read(source_path(LESSON), as_version=4)
    answers = dict(answers)
    if "gap6_rating_model" in answers:
        answers["gap6_rating_model"] = replace_in_solution(source, "gap6_rating_model", "Multiply()", "Add()")
    if "gap7_ranking_task" in answers:
        answers["gap7_ranking_task"] = replace_in_solution(
            source, "gap7_ranking_task", "losses.MeanSquaredError()", "losses.MeanAbsoluteError()")
    graded = fill_in(source, source, answers)
    for cell in graded.cells:
        cell.source = without_markers(cell.source)
    nb = graded
    for cell in nb.cells:
        for anchor, new in edits.items():
            if cell.source.startswith(anchor) or cell.source.lstrip("# NBVAL_CHECK_OUTPUT\n").startswith(anchor):
                cell.source = new
    last = next(i for i, c in enumerate(nb.cells) if grade_id(c) == must_fail)
    nb.cells = nb.cells[: last + 1]
    ran = execute(nb, student_path(LESSON).parent)
    failed = [grade_id(c) for c in ran.cells if is_graded(c) and errors(c)]
    assert failed == [must_fail], f"{name}: graded cells that failed: {failed}"
    if name in WHY:
        message = " ".join(o.get("evalue", "") for o in ran.cells[last].outputs if o.output_type == "error")
        assert WHY[name] in message, message
