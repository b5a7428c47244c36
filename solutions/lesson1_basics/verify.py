"""The grader's own checks of lesson 1's graded cells, run outside the student's kernel (coursetools/trusted.py) on
what each cell exported, against the lesson's data recomputed here. Each check is named by its cell's grade_id."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from sklearn.model_selection import train_test_split

import helpers
from helpers.thresholds import GMF_NEAR_BASELINE as RMSE_TOLERANCE  # the notebook's visible check reads it too

USER_COL, ITEM_COL, RATING_COL = "user_id", "item_id", "rating"
QUERY = "99"
# The ratings are drawn at random (1-9, uniform), so no model beats predicting their mean unless it has seen the test
# ratings: over 6 worlds (data seeds 42-47) even the test ratings' own mean, known in hindsight, is at most 0.0002
# below the training mean's RMSE, and GMF lands within 0.001 of it over 5 seeds (the notebook's visible check).
# RMSE_TOLERANCE: either side of the training mean's test RMSE; below it, the model has seen the test ratings.
EPOCHS, BATCH = 5, 1024  # the notebook's training settings (its EPOCHS and df_to_ds's batch size)


def world() -> SimpleNamespace:
    """The lesson's data and the answers worked out from it, as the solution does."""
    ratings, items = helpers.make_film_data()
    rated = items.loc[items[ITEM_COL].isin(ratings[ITEM_COL])]
    matrix = rated.set_index(ITEM_COL)["genres"].str.lower().str.strip().str.get_dummies(sep=", ")
    train, test = train_test_split(ratings, train_size=0.8, random_state=42)
    return SimpleNamespace(ratings=ratings, rated=rated, matrix=matrix, train=train, test=test)


def test_gap1_genre(got, w) -> None:
    values, index = got["values"], got["index"]
    assert values.shape == (len(w.rated), 2) and np.array_equal(index, w.rated.index.to_numpy()), \
        f"genre should have {len(w.rated)} rows (rated_items' index) and 2 columns; got {values.shape}"
    rebuilt = [", ".join(p.strip() for p in row if p.strip() and p != "nan") for row in values.astype(str)]
    wrong = np.flatnonzero(np.array(rebuilt) != w.rated["genres"].str.strip().to_numpy(dtype=str))
    assert not len(wrong), f"{len(wrong)} rows of genre do not give back their item's genre string"


def test_gap2_genre_matrix(got, w) -> None:
    values, index, columns = got["values"], got["index"], got["columns"]
    assert str(got["index_kind"]) not in "iuf", \
        "item_genre_mat should be indexed by item id, like genre_strings; it is indexed by position (0, 1, 2, ...)"
    assert np.array_equal(index, w.matrix.index.to_numpy(dtype=str)), "rows should be the rated items, in order"
    assert sorted(columns) == sorted(w.matrix.columns), f"columns should be the 9 genres; got {list(columns)}"
    assert values.dtype.kind in "iufb" and values.shape == w.matrix.shape, f"got values of shape {values.shape}"
    reordered = values[:, [list(columns).index(name) for name in w.matrix.columns]]
    wrong = w.matrix.index[(reordered != w.matrix.to_numpy()).any(axis=1)]
    assert not len(wrong), f"rows of item_genre_mat disagree with the genre strings for items {list(wrong[:5])}"


def test_gap3_cosine(got, w) -> None:
    corr_mat, matrix = got["corr_mat"], got["matrix"].astype(float)  # item_genre_mat as gap 2 made it
    assert matrix.ndim == 2 and len(matrix) == len(w.rated), f"item_genre_mat has shape {matrix.shape}"
    assert corr_mat.shape == (len(matrix), len(matrix)) and corr_mat.dtype.kind == "f", \
        f"corr_mat should be item x item, shape ({len(matrix)}, {len(matrix)}); got {corr_mat.shape}"
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    assert np.allclose(corr_mat, unit @ unit.T), "corr_mat should be the cosine of the rows (normalise, then multiply)"


def test_top_k(got, w) -> None:
    similar = list(got["similar_items"])
    assert len(similar) == 10 and QUERY not in similar, "expected 10 items, not including the query"
    genres = w.matrix.to_numpy()
    rows = w.matrix.index.get_indexer(similar)
    assert (rows >= 0).all() and (genres[rows] == genres[w.matrix.index.get_loc(QUERY)]).all(), \
        f"every item should have item {QUERY}'s genres"


def check_vocabulary(vocabulary: np.ndarray, column: str, w) -> None:
    """A 1-D numpy array of str holding every id of `column` in the ratings exactly once."""
    assert vocabulary.ndim == 1 and vocabulary.dtype.kind == "U", "the vocabulary should be a 1-D numpy array of str"
    assert len(set(vocabulary)) == len(vocabulary), "each id should appear once"
    assert set(vocabulary) == set(w.ratings[column]), f"the vocabulary should hold exactly the ids in {column}"


def test_gap4_user_vocabulary(got, w) -> None:
    check_vocabulary(got["vocabulary"], USER_COL, w)


def test_gap5_item_vocabulary(got, w) -> None:
    check_vocabulary(got["vocabulary"], ITEM_COL, w)


def test_gap6_rating_model(got, w) -> None:
    rng = np.random.default_rng(0)  # the visible check's 4 random pairs
    u, v = rng.normal(size=(4, 8)).astype("float32"), rng.normal(size=(4, 8)).astype("float32")
    weights, bias, rating = got["w"], got["b"], got["got"]
    assert weights.shape == (8, 1) and bias.shape == (1,) and rating.shape == (4, 1), "the rating model has the wrong shape"
    assert np.allclose(rating, (u * v) @ weights + bias, atol=1e-4), \
        "the rating is not Dense(1) of the element-wise product of the embeddings"


def test_gap7_ranking_task(got, w) -> None:
    rng = np.random.default_rng(7)  # the batch the cell's hidden part scored
    y, p = rng.normal(5, 2, size=16).astype("float32"), rng.normal(5, 2, size=(16, 1)).astype("float32")
    assert np.isclose(float(got["loss"]), np.mean((y - p[:, 0]) ** 2), rtol=1e-4), "the task's loss is not the mean squared error"
    assert "root_mean_squared_error" in got["reported"], "the task should report root_mean_squared_error"


def test_gap8_training_rmse(got, w) -> None:
    expected_steps = EPOCHS * -(-len(w.train) // BATCH)
    assert int(got["steps"]) == expected_steps, (
        f"the optimizer took {int(got['steps'])} steps, but {EPOCHS} epochs over train_ds make {expected_steps}: "
        "train on train_ds, once, and re-run the cell that builds the model before training again")
    assert bool(got["same_model"]), "history comes from another model: assign what this model's model.fit returns"
    assert int(got["epochs"]) == EPOCHS, f"train for EPOCHS = {EPOCHS} epochs; history has {int(got['epochs'])}"
    assert "val_root_mean_squared_error" in got["curves"], \
        "history has no validation curve: pass validation_data=test_ds to model.fit"
    assert got["trained"].shape == got["initial"].shape and not np.allclose(got["trained"], got["initial"]), \
        "the item embedding is unchanged: was model.fit called?"
    predicted, truth = got["predicted"].astype(float), w.test[RATING_COL].to_numpy(dtype=float)
    assert predicted.shape == truth.shape, f"expected {truth.size:,} test predictions; got shape {predicted.shape}"
    rmse = float(np.sqrt(np.mean((truth - predicted) ** 2)))
    baseline = float(np.sqrt(np.mean((truth - w.train[RATING_COL].mean()) ** 2)))
    assert rmse >= baseline - RMSE_TOLERANCE, (
        f"the model's own test RMSE {rmse:.3f} is below the {baseline:.3f} of predicting the mean rating by more than "
        f"{RMSE_TOLERANCE}, which on ratings drawn at random no model reaches without the test ratings: the model has "
        "seen the test ratings (train on train_ds only)")
    assert rmse <= baseline + RMSE_TOLERANCE, \
        f"the model's own test RMSE is {rmse:.3f}; it should be within {RMSE_TOLERANCE} of {baseline:.3f}"
    assert abs(rmse - float(got["gmf_rmse"])) < 1e-3, "gmf_rmse does not match the model's predictions on the test set"
