"""Music listening data for lesson 3: a generated world whose true preferences are known, a per-user split and ranking metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from helpers.data import _check_int

MUSIC_GENRES: tuple[str, ...] = (
    "rock", "pop", "hip-hop", "electronic", "jazz", "classical", "metal", "folk",
    "soul", "reggae", "blues", "country", "punk", "ambient", "latin", "k-pop",
)


@dataclass(frozen=True)
class Listening:
    """A listening data set: listens (user, track, plays), tracks (track, artist, genre), users (user, scene) and, when generated, the true preferences."""

    listens: pd.DataFrame
    tracks: pd.DataFrame
    users: pd.DataFrame
    preference: np.ndarray | None = None  # users x tracks log-preference of the generating model; None for real data

    @property
    def n_users(self) -> int:
        """How many users (ids 0 .. n_users - 1)."""
        return len(self.users)

    @property
    def n_tracks(self) -> int:
        """How many tracks (ids 0 .. n_tracks - 1)."""
        return len(self.tracks)


def make_listening_data(
    n_users: int = 1_500,
    n_tracks: int = 1_000,
    n_artists: int = 100,
    n_scenes: int = 12,
    mean_listens: float = 30.0,
    seed: int = 0,
) -> Listening:
    """Draw implicit feedback from a known model: scenes with genre and artist tastes, a long tail of track popularity, and a spread of activity."""
    n_users = _check_int("n_users", n_users, 1)
    n_tracks = _check_int("n_tracks", n_tracks, 20)
    n_artists = _check_int("n_artists", n_artists, 1)
    n_scenes = _check_int("n_scenes", n_scenes, 1)
    seed = _check_int("seed", seed, 0)
    if n_artists > n_tracks:
        raise ValueError(f"n_artists ({n_artists}) cannot exceed n_tracks ({n_tracks})")
    if not np.isfinite(mean_listens) or not 5 <= mean_listens <= n_tracks / 4:
        raise ValueError(f"mean_listens must be between 5 and n_tracks / 4 = {n_tracks / 4:g}, got {mean_listens!r}")

    rng = np.random.default_rng(seed)
    n_genres = len(MUSIC_GENRES)
    artist_genre = rng.integers(n_genres, size=n_artists)
    artist_weight = rng.pareto(1.5, size=n_artists) + 1  # a few artists have many tracks
    track_artist = np.concatenate([np.arange(n_artists),  # every artist has at least one track
                                   rng.choice(n_artists, size=n_tracks - n_artists, p=artist_weight / artist_weight.sum())])
    rng.shuffle(track_artist)
    track_genre = artist_genre[track_artist]
    log_popularity = -0.9 * np.log1p(rng.permutation(n_tracks))  # Zipf-like long tail over a random order

    scene_genre = np.log(rng.dirichlet(np.full(n_genres, 0.25), size=n_scenes) + 1e-3)  # each scene lives in a few genres
    scene_artist = rng.normal(0.0, 1.0, size=(n_scenes, n_artists))                    # and has its favourite artists
    user_scene = rng.integers(n_scenes, size=n_users)
    own_artist = rng.normal(0.0, 0.7, size=(n_users, n_artists))                       # plus a taste of one's own
    preference = (0.6 * scene_genre[user_scene][:, track_genre] + scene_artist[user_scene][:, track_artist]
                  + own_artist[:, track_artist] + log_popularity).astype(np.float32)

    # Activity: from a handful of listens to heavy listeners (log-normal, at least 5).
    activity = np.clip(rng.lognormal(np.log(mean_listens) - 0.5, 1.0, size=n_users), 5, n_tracks // 3).astype(int)
    # Each user's tracks: drawn without replacement with probability ~ exp(preference) (Gumbel top-k).
    keys = preference + rng.gumbel(size=preference.shape).astype(np.float32)
    order = np.argsort(-keys, axis=1)
    users = np.repeat(np.arange(n_users), activity)
    tracks = np.concatenate([order[u, :a] for u, a in enumerate(activity)])
    liking = preference[users, tracks] - preference[users, tracks].mean()
    plays = 1 + rng.poisson(np.exp(1.0 + 0.5 * liking))

    return Listening(
        listens=pd.DataFrame({"user": users, "track": tracks, "plays": plays}),
        tracks=pd.DataFrame({"track": np.arange(n_tracks), "artist": track_artist,
                             "genre": np.array(MUSIC_GENRES)[track_genre]}),
        users=pd.DataFrame({"user": np.arange(n_users), "scene": user_scene}),
        preference=preference,
    )


def split_per_user(listens: pd.DataFrame, valid: float = 0.1, test: float = 0.2,
                   seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, valid, test): each user's listens shuffled and cut, at least one each in valid and test when the user has 3 or more."""
    for name, share in (("valid", valid), ("test", test)):
        if not 0 < share < 1:
            raise ValueError(f"{name} must be a share between 0 and 1, got {share!r}")
    if valid + test >= 1:
        raise ValueError(f"valid + test must leave listens to train on, got {valid} + {test}")
    missing = {"user", "track"} - set(listens.columns)
    if missing:
        raise KeyError(f"listens needs the columns {sorted(missing)}")
    rng = np.random.default_rng(seed)
    shuffled = listens.iloc[rng.permutation(len(listens))]
    position = shuffled.groupby("user").cumcount().to_numpy()
    count = shuffled.groupby("user")["user"].transform("size").to_numpy()
    enough = count >= 3
    n_test = np.where(enough, np.maximum(1, np.round(test * count)), 0)
    n_valid = np.where(enough, np.maximum(1, np.round(valid * count)), 0)
    part = np.where(position < n_test, 2, np.where(position < n_test + n_valid, 1, 0))
    return tuple(shuffled[part == p].sort_values(["user", "track"]).reset_index(drop=True) for p in (0, 1, 2))


def listen_matrix(listens: pd.DataFrame, n_users: int, n_tracks: int) -> sp.csr_matrix:
    """The users x tracks 0/1 matrix of `listens` (a CSR matrix of float32)."""
    ones = np.ones(len(listens), dtype=np.float32)
    matrix = sp.csr_matrix((ones, (listens["user"].to_numpy(), listens["track"].to_numpy())), shape=(n_users, n_tracks))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def play_matrix(listens: pd.DataFrame, n_users: int, n_tracks: int) -> sp.csr_matrix:
    """The users x tracks matrix of log(1 + plays) of `listens` (plays of a user and track summed; CSR, float32)."""
    if "plays" not in listens.columns:
        raise KeyError(f"listens need a 'plays' column for play_matrix; they have {list(listens.columns)}")
    plays = sp.csr_matrix((listens["plays"].to_numpy(dtype=np.float64),
                           (listens["user"].to_numpy(), listens["track"].to_numpy())), shape=(n_users, n_tracks))
    plays.sum_duplicates()
    plays.data = np.log1p(plays.data)
    return plays.astype(np.float32)


def ranking_metrics(top: np.ndarray, held_out: sp.csr_matrix, k: int = 20) -> pd.DataFrame:
    """Recall@k and NDCG@k per user of the lists `top` (users x >= k track ids, best first) against the rows of `held_out`."""
    top = np.asarray(top)
    if top.ndim != 2 or top.shape[0] != held_out.shape[0] or top.shape[1] < k:
        raise ValueError(f"top must have one row of at least k = {k} track ids per held-out row "
                         f"({held_out.shape[0]}), got shape {top.shape}")
    hits = np.asarray(held_out[np.arange(len(top))[:, None], top[:, :k]].todense()) > 0
    relevant = np.diff(held_out.indptr)
    discount = 1 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discount)[np.clip(np.minimum(relevant, k) - 1, 0, None)]
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(relevant > 0, hits.sum(1) / relevant, np.nan)
        ndcg = np.where(relevant > 0, (hits * discount).sum(1) / ideal, np.nan)
    return pd.DataFrame({f"Recall@{k}": recall, f"NDCG@{k}": ndcg})
