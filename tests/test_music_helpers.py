"""Helpers for lesson 3: the listening world, the per-user split, ranking metrics, the challenge's scoring,
the cost of a step, and Last.fm-2k offline."""

import shutil

import numpy as np
import pandas as pd
import pytest

import helpers
from conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "lastfm_2k"


@pytest.fixture(scope="module")
def world():
    return helpers.make_listening_data(seed=0)


def test_world_has_the_stated_size_and_no_repeated_listen(world):
    assert (world.n_users, world.n_tracks) == (1_500, 1_000)
    assert world.tracks["artist"].nunique() == 100 and world.tracks["genre"].nunique() <= 16
    assert not world.listens.duplicated(["user", "track"]).any()
    assert (world.listens["plays"] >= 1).all() and world.preference.shape == (1_500, 1_000)
    again = helpers.make_listening_data(seed=0)
    pd.testing.assert_frame_equal(world.listens, again.listens)


def test_world_has_a_long_tail_a_spread_of_activity_and_scenes(world):
    listeners = world.listens.groupby("track").size().sort_values(ascending=False).to_numpy()
    assert listeners[:10].sum() > 10 * listeners[-500:].sum() / 50, "the top tracks should dwarf the tail"
    activity = world.listens.groupby("user").size()
    assert activity.min() >= 5 and activity.quantile(0.9) > 4 * activity.quantile(0.1)
    # users of one scene share tracks far more than users of different scenes
    R = helpers.listen_matrix(world.listens, world.n_users, world.n_tracks).toarray()
    scene = world.users["scene"].to_numpy()
    overlap = R @ R.T
    same = scene[:, None] == scene[None, :]
    np.fill_diagonal(same, False)
    other = ~same
    np.fill_diagonal(other, False)
    assert overlap[same].mean() > 1.5 * overlap[other].mean()


def test_the_true_preferences_rank_held_out_listens_far_above_popularity(world):
    train, _, test = helpers.split_per_user(world.listens, seed=0)
    heard = helpers.listen_matrix(train, world.n_users, world.n_tracks)
    held = helpers.listen_matrix(test, world.n_users, world.n_tracks)
    users = np.flatnonzero(np.diff(held.indptr))

    def recall(scores):
        scores = np.array(scores, dtype=float)
        scores[heard[users].nonzero()] = -np.inf
        return helpers.ranking_metrics(np.argsort(-scores, axis=1)[:, :20], held[users])["Recall@20"].mean()

    popularity = np.tile(np.asarray(heard.sum(axis=0)).ravel(), (len(users), 1))
    assert recall(world.preference[users]) > 1.4 * recall(popularity)


@pytest.mark.parametrize("bad, message", [(dict(n_users=0), "n_users"), (dict(seed=-1), "seed"),
                                          (dict(n_artists=2_000), "n_artists"), (dict(mean_listens=1000.0), "mean_listens")])
def test_world_rejects_bad_arguments_by_name(bad, message):
    with pytest.raises(ValueError, match=message):
        helpers.make_listening_data(**bad)


def test_split_is_per_user_disjoint_and_complete(world):
    train, valid, test = helpers.split_per_user(world.listens, valid=0.1, test=0.2, seed=0)
    key = lambda t: set(zip(t["user"], t["track"]))  # noqa: E731
    assert not key(train) & key(valid) and not key(train) & key(test) and not key(valid) & key(test)
    assert len(train) + len(valid) + len(test) == len(world.listens)
    for part in (valid, test):
        assert part["user"].nunique() == world.n_users, "every user (5+ listens) keeps some for validation and test"
    assert abs(len(test) / len(world.listens) - 0.2) < 0.01


@pytest.mark.parametrize("bad, error", [(dict(valid=0.0), ValueError), (dict(valid=0.5, test=0.5), ValueError)])
def test_split_rejects_bad_shares(world, bad, error):
    with pytest.raises(error, match="valid"):
        helpers.split_per_user(world.listens, **bad)


def test_split_names_missing_columns():
    with pytest.raises(KeyError, match="track"):
        helpers.split_per_user(pd.DataFrame({"user": [0, 1]}))


def test_ranking_metrics_on_cases_worked_by_hand():
    held = helpers.listen_matrix(pd.DataFrame({"user": [0, 0, 1], "track": [3, 5, 2]}), 3, 6)
    top = np.array([[3, 1, 5], [0, 1, 4], [2, 0, 1]])
    got = helpers.ranking_metrics(top, held, k=3)
    ideal = 1 + 1 / np.log2(3)
    assert np.allclose(got["Recall@3"].iloc[:2], [1.0, 0.0]) and np.isnan(got["Recall@3"].iloc[2])
    assert np.isclose(got["NDCG@3"].iloc[0], (1 + 1 / np.log2(4)) / ideal)
    with pytest.raises(ValueError, match="k = 4"):
        helpers.ranking_metrics(top, held, k=4)


def test_play_matrix_holds_log_one_plus_plays_and_names_a_missing_column():
    listens = pd.DataFrame({"user": [0, 0, 1, 1], "track": [2, 0, 2, 2], "plays": [1, 9, 3, 4]})
    X = helpers.play_matrix(listens, 2, 3)
    assert X.dtype == np.float32 and X.shape == (2, 3)
    np.testing.assert_allclose(X.toarray(), np.log1p([[9, 0, 1], [0, 0, 7]]), rtol=1e-6)  # a pair's plays summed
    with pytest.raises(KeyError, match="plays"):
        helpers.play_matrix(listens.drop(columns="plays"), 2, 3)


def popular_everywhere(train, tracks):
    """The challenge answer that recommends the most played tracks, each user's heard ones left out."""
    counts = train.groupby("track").size().reindex(range(len(tracks)), fill_value=0).to_numpy().astype(float)
    heard = helpers.listen_matrix(train, int(train["user"].max()) + 1, len(tracks))

    def recommend(users, k):
        scores = np.tile(counts, (len(users), 1))
        scores[heard[users].nonzero()] = -np.inf
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return recommend


def test_challenge_score_of_popularity_is_popularity_and_its_report_says_so():
    score = helpers.score_challenge(popular_everywhere, seed=11, reference_recall=0.3)
    assert np.isclose(score.ratio_to_popularity, 1.0) and score.ratio_to_reference < 0.9
    assert f"Recall@20 {score.recall:.4f}" in score.report() and "(yours is 1.000 x)" in score.report()
    assert score.popularity_recall < score.ceiling_recall < 1, "the true preferences rank better than popularity"
    world = helpers.make_listening_data(seed=11)
    train, _, _ = helpers.split_per_user(world.listens, valid=0.1, test=0.2, seed=11)
    assert (score.heard != helpers.listen_matrix(train, world.n_users, world.n_tracks)).nnz == 0, "the world's training listens"
    assert f"ceiling {score.ceiling_recall:.4f}" in score.report()


def test_challenge_score_rejects_lists_that_break_the_contract():
    def repeats(train, tracks):
        return lambda users, k: np.zeros((len(users), k), dtype=int)

    with pytest.raises(AssertionError, match="different tracks"):
        helpers.score_challenge(repeats, seed=11, reference_recall=0.3)


def test_measure_sees_memory_that_numpy_holds_at_its_peak():
    with helpers.measure() as cost:
        block = np.ones(40_000_000)  # 320 MB
        del block
    assert cost.peak_mb > 250 and cost.seconds > 0


def test_lastfm_loader_reads_the_fixture_in_the_real_format():
    data = helpers.load_lastfm_2k(FIXTURE)
    assert (data.n_users, data.n_tracks) == (4, 4)
    assert data.listens["user"].max() == 3 and data.listens["track"].max() == 3, "ids are remapped to 0..n-1"
    names = dict(zip(data.tracks["lastfm_id"], data.tracks["name"]))
    assert names[89] == "Björk" and names[300] == "Sigur Rós", "Latin-1 and UTF-8 names both decode"
    assert dict(zip(data.tracks["lastfm_id"], data.tracks["genre"]))[89] == "electronic", "the artist's most used tag"
    assert data.listens["plays"].sum() == 13883 + 11690 + 3 + 450 + 120 + 77 + 5 + 9 + 61
    assert data.preference is None


def test_lastfm_loader_drops_artists_with_few_listeners_and_works_without_tags(tmp_path):
    for name in ("user_artists.dat", "artists.dat"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    data = helpers.load_lastfm_2k(tmp_path, min_listeners=2)
    assert sorted(data.tracks["lastfm_id"]) == [51, 52, 89], "Sigur Rós has one listener"
    assert (data.tracks["genre"] == "").all()


def test_lastfm_loader_names_the_missing_files_and_where_to_get_them(tmp_path):
    shutil.copy(FIXTURE / "artists.dat", tmp_path / "artists.dat")
    with pytest.raises(FileNotFoundError, match=r"user_artists\.dat is missing.*grouplens\.org.*non-commercial"):
        helpers.load_lastfm_2k(tmp_path)
    with pytest.raises(ValueError, match="min_listeners"):
        helpers.load_lastfm_2k(FIXTURE, min_listeners=0)
