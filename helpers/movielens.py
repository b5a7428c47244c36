"""Load MovieLens-100k from a local folder (never downloads anything)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ML100K_URL = "https://grouplens.org/datasets/movielens/100k/"
ML100K_GENRES: tuple[str, ...] = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)


def load_movielens_100k(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (ratings, items) from a folder holding MovieLens-100k's u.data and u.item."""
    folder = Path(path).expanduser()
    missing = [name for name in ("u.data", "u.item") if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"path {str(folder)!r} must be a folder with MovieLens-100k's u.data and u.item, but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing. Download "
            f"ml-100k.zip from {ML100K_URL}, unzip it, and pass the ml-100k folder."
        )
    ratings = pd.read_csv(folder / "u.data", sep="\t", header=None,
                          names=["user_id", "item_id", "rating", "timestamp"], dtype=str)
    ratings["rating"] = ratings["rating"].astype("int64")
    raw = pd.read_csv(folder / "u.item", sep="|", header=None, encoding="latin-1", dtype=str,
                      names=["item_id", "title", "release_date", "video_release_date", "imdb_url",
                             *ML100K_GENRES])
    flags = raw[list(ML100K_GENRES)].astype(int).to_numpy().astype(bool)
    genres = [", ".join(g for g, on in zip(ML100K_GENRES, row) if on) for row in flags]
    items = pd.DataFrame({"item_id": raw["item_id"], "title": raw["title"], "genres": genres})
    return ratings[["user_id", "item_id", "rating"]], items
