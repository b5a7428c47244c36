"""Plausible wrong answers meet a visible check that says what was expected and what was got.

Each lesson's student notebook, with every gap filled from the solution, runs
once in a kernel that stays up; no cell may raise, graded or not. Then, for each
case, the gap is re-run with the wrong answer followed by the cells up to the
check that must catch it, and afterwards with the right answer again. The
student's copy has no hidden tests, so each message here is what a student sees.
"""

from __future__ import annotations

from contextlib import ExitStack

import nbformat
import pytest

from lesson1_cases import RUN_FIRST
from lesson3_cases import CHALLENGE_CHECKS, POPULAR_MINUS_HEARD, SAME_LIST_FOR_EVERYONE
from notebook_tools import (
    LiveNotebook, error_text, errors, fill_in, grade_id, nbgrader_config, source_path, student_path,
    without_markers,
)

# name -> (lesson, gap, text in the solution, its wrong replacement, check that must fail, words its message must hold)
CASES = {
    "vocabulary-as-pandas-array": ("lesson1_basics", "gap4_user_vocabulary", "np.unique(ratings[USER_COL].to_numpy(dtype=str))",
                                   "ratings[USER_COL].unique()", "test_gap4_user_vocabulary",
                                   ["got StringArray", ".to_numpy(dtype=str)"]),
    "vocabulary-of-objects": ("lesson1_basics", "gap5_item_vocabulary", "np.unique(ratings[ITEM_COL].to_numpy(dtype=str))",
                              "np.unique(ratings[ITEM_COL])", "test_gap5_item_vocabulary",
                              ["got dtype object", ".to_numpy(dtype=str)"]),
    "vocabulary-with-repeats": ("lesson1_basics", "gap4_user_vocabulary", "np.unique(ratings[USER_COL].to_numpy(dtype=str))",
                                "ratings[USER_COL].to_numpy(dtype=str)", "test_gap4_user_vocabulary",
                                ["24,953 of 34,953 entries repeat"]),
    "dot-instead-of-multiply": ("lesson1_basics", "gap6_rating_model", "tf.keras.layers.Multiply()",
                                "tf.keras.layers.Dot(axes=1)", "test_gap6_rating_model", ["receives 1 numbers", "Dot 1"]),
    "concatenate-instead-of-multiply": ("lesson1_basics", "gap6_rating_model", "tf.keras.layers.Multiply()",
                                        "tf.keras.layers.Concatenate()", "test_gap6_rating_model",
                                        ["receives 16 numbers", "Concatenate would give 16"]),
    "layer-never-called": ("lesson1_basics", "gap6_rating_model", "tf.keras.layers.Multiply()([user_input, item_input])",
                           "tf.keras.layers.Multiply([user_input, item_input])", "test_gap6_rating_model",
                           ["could not be built", "Layer()([a, b])"]),
    "numpy-multiply": ("lesson1_basics", "gap6_rating_model", "tf.keras.layers.Multiply()([user_input, item_input])",
                       "np.multiply(user_input, item_input)", "test_gap6_rating_model",
                       ["could not be built", "numpy functions cannot take Keras inputs"]),
    "embeddings-added": ("lesson1_basics", "gap6_rating_model", "Multiply()", "Add()", "test_gap6_rating_model",
                         ["element-wise product"]),
    "loss-class-not-object": ("lesson1_basics", "gap7_ranking_task", "tf.keras.losses.MeanSquaredError()",
                              "tf.keras.losses.MeanSquaredError", "test_gap7_ranking_task",
                              ["could not compute its loss and metrics", "with ()"]),
    "metric-class-not-object": ("lesson1_basics", "gap7_ranking_task", "[tf.keras.metrics.RootMeanSquaredError()]",
                                "[tf.keras.metrics.RootMeanSquaredError]", "test_gap7_ranking_task",
                                ["could not compute its loss and metrics", "with ()"]),
    "fit-without-validation": ("lesson1_basics", "gap8_fit", "validation_data=test_ds, ", "",
                               "test_gap8_training_rmse", ["no validation curve", "validation_data=test_ds"]),
    "genre-matrix-without-item-ids": ("lesson1_basics", "gap2_genre_columns", "genre_strings.str.get_dummies",
                                      'rated_items["genres"].str.lower().str.get_dummies', "test_gap2_genre_matrix",
                                      ["indexed by item id", "got an index starting [0, 1, 2]"]),
    "metrics-not-a-list": ("lesson1_basics", "gap7_ranking_task", "[tf.keras.metrics.RootMeanSquaredError()]",
                           "tf.keras.metrics.RootMeanSquaredError()", "test_gap7_ranking_task",
                           ["could not compute its loss and metrics", "a list of metric objects"]),
    "metrics-by-name": ("lesson1_basics", "gap7_ranking_task", "[tf.keras.metrics.RootMeanSquaredError()]",
                        '["root_mean_squared_error"]', "test_gap7_ranking_task",
                        ["could not compute its loss and metrics", "not the classes or their names"]),
    "fit-on-the-test-set": ("lesson1_basics", "gap8_fit", "model.fit(train_ds,", "model.fit(test_ds,",
                            "test_gap8_training_rmse", ["the optimizer took 35 steps", "train on train_ds"]),
    "evaluate-instead-of-fit": ("lesson1_basics", "gap8_fit", "model.fit(train_ds, validation_data=test_ds, epochs=EPOCHS, verbose=0)",
                                "model.evaluate(test_ds, verbose=0)", "test_gap8_training_rmse",
                                ["the History that model.fit returns; got list"]),
    "fit-run-twice": ("lesson1_basics", "gap8_fit", "history = model.fit(train_ds, validation_data=test_ds, epochs=EPOCHS, verbose=0)",
                      "model.fit(train_ds, validation_data=test_ds, epochs=EPOCHS, verbose=0)\n"
                      "history = model.fit(train_ds, validation_data=test_ds, epochs=EPOCHS, verbose=0)",
                      "test_gap8_training_rmse", ["took 280 steps", "re-run the cell that builds the model"]),
    "weighted-rating-as-numpy": ("lesson2_beyond", "gap1_weighted_rating", "return v / (v + m) * R + m / (v + m) * C",
                                 "return np.asarray(v / (v + m) * R + m / (v + m) * C)", "test_gap1_weighted_rating",
                                 ["Series in, Series out", "got ndarray"]),
    "profile-over-the-wrong-axis": ("lesson2_beyond", "gap2_user_profile", "axis=0", "axis=1", "test_gap2_user_profile",
                                    ["Average the genre rows over the items (axis=0)"]),
    "ndcg-ranks-from-zero": ("lesson2_beyond", "gap3_ndcg", "np.log2(rank + 1) for rank, item", "np.log2(rank) for rank, item",
                             "test_gap3_ndcg", ["rank 1 counts 1 / log2(2) = 1", "got inf"]),
    "ndcg-divides-by-zero": ("lesson2_beyond", "gap3_ndcg", "    if not relevant:\n        return 0.0\n", "",
                             "test_gap3_ndcg", ["give 0.0 in that case, before dividing"]),
    "exclusion-changes-the-input": ("lesson2_beyond", "gap4_exclude_seen", "return np.where(seen, -np.inf, scores)",
                                    "scores[seen] = -np.inf\n    return scores", "test_gap4_exclude_seen",
                                    ["scores itself must not change"]),
    "gmf-with-numpy": ("lesson2_beyond", "gap5_biased_gmf", "self.user_vectors(u) * self.item_vectors(i)",
                       "np.multiply(self.user_vectors(u), self.item_vectors(i))", "test_gap5_prediction",
                       ["as training would run it", "not numpy functions"]),
    "gmf-concatenates": ("lesson2_beyond", "gap5_biased_gmf", "self.user_vectors(u) * self.item_vectors(i)",
                         "tf.concat([self.user_vectors(u), self.item_vectors(i)], axis=1)", "test_gap5_prediction",
                         ["as training would run it", "element-wise product"]),
    "profile-rows-misaligned": ("lesson2_beyond", "gap2_user_profile", "item_genres.loc[user_ratings[ITEM_COL]]",
                                "item_genres[item_genres.index.isin(user_ratings[ITEM_COL])]",
                                "test_gap2_user_profile", ["expected [0.25, 0.75, 0.25]", "lined up"]),
    "ideal-dcg-from-all-relevant": ("lesson2_beyond", "gap3_ndcg", "range(1, min(k, len(relevant)) + 1)",
                                    "range(1, len(relevant) + 1)", "test_gap3_ndcg", ["min(k, len(relevant))"]),
    "ndcg-ignores-k": ("lesson2_beyond", "gap3_ndcg", "enumerate(recommended[:k], start=1)",
                       "enumerate(recommended, start=1)", "test_gap3_ndcg", ["beyond k = 2"]),
    "gmf-without-biases": ("lesson2_beyond", "gap5_biased_gmf", " + self.user_bias(u) + self.item_bias(i)", "",
                           "test_gap5_prediction", ["should add [11.0, 32.0, 21.0]", "they add"]),
    "adjacency-not-normalised": ("lesson3_challenge", "gap1_adjacency", "A = (sp.diags(scale) @ A @ sp.diags(scale)).tocoo()",
                                 "A = A.tocoo()", "test_gap1_adjacency", ["1 / sqrt(d_i * d_j)"]),
    "adjacency-normalised-on-one-side": ("lesson3_challenge", "gap1_adjacency", "A = (sp.diags(scale) @ A @ sp.diags(scale)).tocoo()",
                                         "A = (sp.diags(scale ** 2) @ A).tocoo()", "test_gap1_adjacency", ["D^-1/2 on both sides"]),
    "graph-holds-the-test-listens": ("lesson3_challenge", "gap2_training_graph", "normalized_adjacency(R_train)",
                                     "normalized_adjacency(R_train + R_test)", "test_gap2_training_graph",
                                     ["0 validation and 8,884 test listens", "from R_train only"]),
    "layers-summed": ("lesson3_challenge", "gap3_propagate", "return tf.add_n(layers) / (n_layers + 1)",
                      "return tf.add_n(layers)", "test_gap3_propagate", ["the sum of the 3 layers"]),
    "bpr-sign-flipped": ("lesson3_challenge", "gap4_bpr_loss", "log_sigmoid(positive - negative)",
                         "log_sigmoid(negative - positive)", "test_gap4_bpr_loss", ["the sign is flipped"]),
    "bpr-log-of-sigmoid": ("lesson3_challenge", "gap4_bpr_loss", "tf.math.log_sigmoid(positive - negative)",
                           "tf.math.log(tf.sigmoid(positive - negative))", "test_gap4_bpr_loss", ["use tf.math.log_sigmoid"]),
    "heard-tracks-not-masked": ("lesson3_challenge", "gap5_top_k", "masked[seen.nonzero()] = -np.inf", "pass",
                                "test_gap5_top_k", ["already heard track 0"]),
    "top-k-left-unordered": ("lesson3_challenge", "gap5_top_k",
                             "order = np.argsort(-np.take_along_axis(masked, best, axis=1), axis=1, kind=\"stable\")\n"
                             "    return np.take_along_axis(best, order, axis=1)", "return best", "test_gap5_top_k",
                             ["best first", "np.argpartition"]),
    "bpr-summed-over-the-batch": ("lesson3_challenge", "gap4_bpr_loss", "-tf.reduce_mean(", "-tf.reduce_sum(",
                                  "test_gap4_bpr_loss", ["the sum over the batch"]),
    "ease-divides-rows": ("lesson3_challenge", "gap6_ease", "B = -P / np.diag(P)", "B = -P / np.diag(P)[:, None]",
                          "test_gap6_ease", ["got the transpose"]),
}
LESSONS = sorted({lesson for lesson, *_ in CASES.values()})


@pytest.fixture(scope="module")
def live():
    """lesson -> its student notebook, gaps filled from the solution, run (on first use) in a kernel that stays up."""
    with ExitStack() as stack:
        notebooks: dict[str, LiveNotebook] = {}

        def get(lesson: str) -> LiveNotebook:
            if lesson not in notebooks:
                source = nbformat.read(source_path(lesson), as_version=4)
                student = nbformat.read(student_path(lesson), as_version=4)
                notebook = LiveNotebook(fill_in(student, source), student_path(lesson).parent)
                notebooks[lesson] = stack.enter_context(notebook)
                notebook.solution = {grade_id(c): without_markers(c.source) for c in source.cells}
            return notebooks[lesson]
        yield get


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_student_notebook_with_the_gaps_filled_runs_without_an_error(live, lesson):
    failed = {grade_id(c) or c.source[:60]: error_text(c) for c in live(lesson).nb.cells if errors(c)}
    assert not failed


@pytest.mark.parametrize("case", CASES)
def test_a_wrong_answer_meets_a_message_that_teaches(live, case):
    lesson, gap, right, wrong, check, words = CASES[case]
    live = live(lesson)
    answer = live.solution[gap]
    assert right in answer, f"{right!r} is not in the solution of {gap}"
    start, stop = live.index(gap), live.index(check)
    later = [c.source for c in live.nb.cells[start + 1: stop + 1] if c.cell_type == "code"]
    first = [live.nb.cells[live.index(RUN_FIRST[gap])].source] if gap in RUN_FIRST else []
    try:
        for source in first:
            live.run(source)
        gap_run = live.run(answer.replace(right, wrong))
        for source in later[:-1]:
            live.run(source)
        caught = live.run(later[-1])
    finally:  # the right answer again, for the next case
        for source in first + [answer] + later:
            live.run(source)
    assert not errors(gap_run), f"the wrong answer itself does not run: {error_text(gap_run)}"
    assert errors(caught) == ["AssertionError"], error_text(caught)
    for word in words:
        assert word in error_text(caught), f"{word!r} is not in the message:\n{error_text(caught)}"
    width = nbgrader_config().Validator.width  # `nbgrader validate` cuts longer lines
    assert all(len("    " + line) <= width - 3 for line in error_text(caught).splitlines()), error_text(caught)


# The challenge (lesson 3, gap 7) as nbgrader grades it: the instructor's checks, hidden world included,
# run on a recommender. Points come from the method's score on a world the student never sees.
CHALLENGE_CASES = {  # name -> (the student's fit_recommender, None for the solution's; the checks it must fail)
    "solution": (None, set()),
    "popular-list-without-what-each-heard": (POPULAR_MINUS_HEARD, set(CHALLENGE_CHECKS[2:])),
    "same-popular-list-for-everyone": (SAME_LIST_FOR_EVERYONE, set(CHALLENGE_CHECKS)),
}


@pytest.mark.parametrize("case", CHALLENGE_CASES)
def test_the_challenge_scores_the_method_on_the_hidden_world(live, case):
    live = live("lesson3_challenge")
    answer, must_fail = CHALLENGE_CASES[case]
    solution = live.solution["gap7_challenge"]
    instructor = live.solution  # the source notebook's cells without their markers: hidden checks included
    try:
        live.run("for _name in ('mine', 'hidden', 'recommend'): globals().pop(_name, None)")
        assert not errors(live.run(answer or solution))
        ran = {check: live.run(instructor[check]) for check in CHALLENGE_CHECKS}
    finally:
        live.run(solution)
    failed = {check for check, cell in ran.items() if errors(cell)}
    assert failed == must_fail, {check: error_text(ran[check]) for check in failed ^ must_fail}
    if "test_gap7_contract" not in failed:
        report = "".join(o.get("text", "") for o in ran["test_gap7_contract"].outputs)
        assert "this world: Recall@20" in report and "hidden world: Recall@20" in report, report
