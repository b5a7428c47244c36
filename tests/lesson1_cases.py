"""Plausible answers to lesson 1, right and wrong, and the graded cells each must fail."""

from __future__ import annotations

import nbformat

from notebook_tools import fill_in, grade_id, source_path, student_path, without_markers

LESSON = "lesson1_basics"
# Gaps that need a provided cell run again first: training goes on from where the model is.
RUN_FIRST = {"gap8_fit": "build_model"}


def _solution_with(gap: str, old: str, new: str) -> str:
    """The solution of `gap` with `old` replaced by `new` (for wrong answers inside a class)."""
    source = nbformat.read(source_path(LESSON), as_version=4)
    text = without_markers(next(c.source for c in source.cells if grade_id(c) == gap))
    assert old in text, f"{old!r} is not in the solution of {gap}"
    return text.replace(old, new)


# name -> ({gap grade_id: answer}, {start of a provided cell: its new source}, graded cells that must fail)
WRONG_ANSWERS: dict[str, tuple[dict[str, str], dict[str, str], set[str]]] = {
    "genre-series": ({"gap1_extract_genres": 'genre = rated_items["genres"].str.split(",")'},
                     {}, {"test_gap1_genre"}),
    "genre-capitals": ({"gap2_genre_columns":
                        'item_genre_mat = rated_items.set_index(ITEM_COL)["genres"].str.get_dummies(sep=", ")'},
                       {}, {"test_gap2_genre_matrix"}),
    "genre-spaces": ({"gap2_genre_columns": 'item_genre_mat = genre_strings.str.get_dummies(sep=",")'},
                     {}, {"test_gap2_genre_matrix", "test_top_k"}),  # "romance, action" != "action, romance"
    "genre-nan-column": ({"gap2_genre_columns": (
        'item_genre_mat = pd.DataFrame({g: genre_strings.str.contains(str(g)).astype(int)\n'
        '                               for g in list(all_genre) + [np.nan]})')},
        {}, {"test_gap2_genre_matrix"}),
    "genre-substring-match": ({"gap2_genre_columns": (
        'item_genre_mat = pd.DataFrame({g: genre_strings.str.contains(g[:2]).astype(int) for g in all_genre})')},
        {}, {"test_gap2_genre_matrix"}),
    "cosine-dot-product": ({"gap3_cosine": "corr_mat = item_genre_mat.to_numpy() @ item_genre_mat.to_numpy().T"},
                           {}, {"test_gap3_cosine"}),
    "cosine-transposed": ({"gap3_cosine": "corr_mat = cosine_similarity(item_genre_mat.T)"},
                          {}, {"test_gap3_cosine", "test_top_k"}),
    "top-k-unstable-with-query": ({}, {"def top_k_items": (
        "def top_k_items(item, k, similarity, index):\n"
        "    return [index[i] for i in similarity[index.get_loc(item)].argsort()[-k:][::-1]]")},
        {"test_top_k"}),
    "user-vocabulary-duplicates": ({"gap4_user_vocabulary": "user_vocabulary = ratings[USER_COL].to_numpy(dtype=str)"},
                                   {}, {"test_gap4_user_vocabulary", "test_gap8_training_rmse"}),
    "item-vocabulary-integers": ({"gap5_item_vocabulary": "item_vocabulary = np.arange(1000)"},
                                 {}, {"test_gap5_item_vocabulary", "test_gap8_training_rmse"}),
    "item-vocabulary-with-own-oov-row": ({"gap5_item_vocabulary": (
        'item_vocabulary = np.concatenate([["[UNK]"], np.unique(ratings[ITEM_COL].to_numpy(dtype=str))])')},
        {}, {"test_gap5_item_vocabulary"}),
    "embeddings-added": ({"gap6_rating_model": _solution_with("gap6_rating_model", "Multiply()", "Add()")},
                         {}, {"test_gap6_rating_model", "test_gap8_training_rmse"}),  # it also overfits
    "loss-mae": ({"gap7_ranking_task": _solution_with(
        "gap7_ranking_task", "losses.MeanSquaredError()", "losses.MeanAbsoluteError()")},
        {}, {"test_gap7_ranking_task"}),
    "never-trained": ({"gap8_fit": "history = tf.keras.callbacks.History()\nhistory.history = {'loss': [0.0] * EPOCHS}"},
                      {}, {"test_gap8_training_rmse"}),
    "overfitted-with-typed-in-rmse": (
        {"gap8_fit": "model.optimizer.learning_rate.assign(0.05)\n"
                     "history = model.fit(train_ds, validation_data=test_ds, epochs=EPOCHS, verbose=0)"},
        {"result = model.evaluate(test_ds": "gmf_rmse, baseline_rmse = 2.574, 2.574"},
        {"test_gap8_training_rmse"}),
}


def submission(answers: dict[str, str] | None = None, edits: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The released student notebook with the gaps answered (solution where not given) and provided cells edited."""
    source = nbformat.read(source_path(LESSON), as_version=4)
    student = nbformat.read(student_path(LESSON), as_version=4)
    nb = fill_in(student, source, answers)
    for cell in nb.cells:
        for start, new in (edits or {}).items():
            if cell.source.replace("# NBVAL_CHECK_OUTPUT\n", "").startswith(start):
                cell.source = new
    return nb
