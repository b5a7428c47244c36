"""Load HetRec 2011 Last.fm-2k (users' artist play counts) from a local folder into lesson 3's format; never downloads anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data import _check_int
from helpers.music import Listening

LASTFM_URL = "https://grouplens.org/datasets/hetrec-2011/"
REQUIRED = ("user_artists.dat", "artists.dat")


def _decode(line: bytes) -> str:
    """One line of text: UTF-8 where it is valid, else Latin-1 (which decodes any byte)."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    """A tab-separated HetRec file with a header line, as strings, one column per name in `columns`."""
    rows = [_decode(line).rstrip("\r").split("\t") for line in path.read_bytes().split(b"\n")[1:] if line.strip()]
    return pd.DataFrame([row[: len(columns)] for row in rows], columns=columns)


def load_lastfm_2k(path: str | Path, min_listeners: int = 1) -> Listening:
    """Listening data from Last.fm-2k's user_artists.dat and artists.dat (tracks are artists there, plays the play counts).

    Artists with fewer than `min_listeners` listeners are dropped, ids are remapped to 0..n-1, and
    each artist's genre is its most used tag when tags.dat and user_taggedartists.dat are there.
    The data set is for non-commercial use only (see the GroupLens page)."""
    folder = Path(path).expanduser()
    min_listeners = _check_int("min_listeners", min_listeners, 1)
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"path {str(folder)!r} must be a folder with Last.fm-2k's {' and '.join(REQUIRED)}, but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing. Download "
            f"hetrec2011-lastfm-2k.zip from {LASTFM_URL} (non-commercial use only), unzip it, and pass that folder."
        )
    plays = _read(folder / "user_artists.dat", ["userID", "artistID", "weight"]).astype(
        {"userID": "int64", "artistID": "int64", "weight": "int64"})
    artists = _read(folder / "artists.dat", ["id", "name"]).astype({"id": "int64"})
    listeners = plays.groupby("artistID")["userID"].transform("nunique")
    plays = plays[listeners >= min_listeners]
    user_ids = np.sort(plays["userID"].unique())
    artist_ids = np.sort(plays["artistID"].unique())
    listens = pd.DataFrame({"user": np.searchsorted(user_ids, plays["userID"]),
                            "track": np.searchsorted(artist_ids, plays["artistID"]),
                            "plays": plays["weight"].to_numpy()}).sort_values(["user", "track"]).reset_index(drop=True)
    names = artists.set_index("id")["name"].reindex(artist_ids).fillna("").to_numpy()
    tracks = pd.DataFrame({"track": np.arange(len(artist_ids)), "artist": np.arange(len(artist_ids)),
                           "name": names, "genre": _top_tags(folder, artist_ids), "lastfm_id": artist_ids})
    users = pd.DataFrame({"user": np.arange(len(user_ids)), "lastfm_id": user_ids})
    return Listening(listens=listens, tracks=tracks, users=users)


def _top_tags(folder: Path, artist_ids: np.ndarray) -> np.ndarray:
    """Each artist's most used tag, or "" without one (or without the two tag files)."""
    if not ((folder / "tags.dat").is_file() and (folder / "user_taggedartists.dat").is_file()):
        return np.full(len(artist_ids), "", dtype=object)
    tags = _read(folder / "tags.dat", ["tagID", "tagValue"]).astype({"tagID": "int64"})
    tagged = _read(folder / "user_taggedartists.dat", ["userID", "artistID", "tagID"]).astype(
        {"artistID": "int64", "tagID": "int64"})
    counts = tagged.groupby(["artistID", "tagID"]).size().rename("uses").reset_index()
    top = counts.sort_values(["artistID", "uses", "tagID"], ascending=[True, False, True]).drop_duplicates("artistID")
    names = top.merge(tags, on="tagID", how="left").set_index("artistID")["tagValue"]
    return names.reindex(artist_ids).fillna("").to_numpy(dtype=object)
