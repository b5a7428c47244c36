"""Lesson 3 on real listening data: with LASTFM_PATH set, the solution runs end to end on files in HetRec
Last.fm-2k's format (written here from a small generated world, since these machines cannot download the data)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np

from notebook_tools import errors, execute, grade_id, source_path

LESSON = "lesson3_challenge"


def write_lastfm_2k(folder: Path, seed: int = 3) -> int:
    """A Last.fm-2k folder (user_artists.dat, artists.dat and the two tag files, with their headers) holding a small
    generated world's play counts, tracks as artists; how many artists have at least 5 listeners."""
    import helpers

    world = helpers.make_listening_data(n_users=300, n_tracks=200, n_artists=20, mean_listens=25, seed=seed)
    folder.mkdir()
    listens = world.listens
    lines = ["userID\tartistID\tweight", *(f"{u + 2}\t{t + 51}\t{p}" for u, t, p in
                                           zip(listens["user"], listens["track"], listens["plays"]))]
    (folder / "user_artists.dat").write_text("\n".join(lines) + "\n")
    names = [f"Artist {t} ({'Björk' if t % 7 == 0 else 'Sigur Rós'} tribute)" for t in world.tracks["track"]]
    rows = ["id\tname\turl\tpictureURL", *(f"{t + 51}\t{name}\thttp://www.last.fm/music/{t}\t"
                                          for t, name in zip(world.tracks["track"], names))]
    (folder / "artists.dat").write_bytes(("\r\n".join(rows) + "\r\n").encode("latin-1"))
    (folder / "tags.dat").write_text("tagID\ttagValue\n1\tpost-rock\n2\ttrip-hop\n")
    tagged = ["userID\tartistID\ttagID\tday\tmonth\tyear", *(f"2\t{t + 51}\t{1 + t % 2}\t1\t4\t2009" for t in range(40))]
    (folder / "user_taggedartists.dat").write_text("\n".join(tagged) + "\n")
    return int((listens.groupby("track").size() >= 5).sum())


def test_lesson3_runs_on_lastfm_files(tmp_path, monkeypatch):
    kept = write_lastfm_2k(tmp_path / "hetrec2011-lastfm-2k")
    monkeypatch.setenv("LASTFM_PATH", str(tmp_path / "hetrec2011-lastfm-2k"))
    ran = execute(nbformat.read(source_path(LESSON), as_version=4), source_path(LESSON).parent)
    for cell in ran.cells:
        assert not errors(cell), f"{grade_id(cell) or cell.source[:60]!r} raised {errors(cell)}"
    data_cell = next(c for c in ran.cells if "LASTFM_PATH is None:\n    world =" in c.source)
    assert f"users of {kept:,} tracks" in data_cell.outputs[0].text, "the Last.fm files (rare artists dropped) were not the data used"
    table = next(c for c in ran.cells if c.source.startswith("def item_knn")).outputs[0].data["text/plain"]
    assert "ceiling" not in table, "real data have no true preferences"
    assert "LightGCN (K = 3), log(1 + plays)" in table and "log(1 + plays)" in table.split("EASE^R", 1)[1]
    plays = next(c for c in ran.cells if c.source.startswith("# What play counts change")).outputs[0].text
    assert plays.count("on log(1 + plays)") == 2, plays
    challenge = next(c for c in ran.cells if grade_id(c) == "test_gap7_contract").outputs[0].text
    assert challenge.startswith("the generated world (seed 0): Recall@20"), "the challenge is scored on generated data"
    assert np.isfinite(float(challenge.split("Recall@20 ")[1].split(",")[0]))


def test_grading_ignores_lastfm_path(tmp_path, monkeypatch):
    write_lastfm_2k(tmp_path / "hetrec2011-lastfm-2k")
    monkeypatch.setenv("LASTFM_PATH", str(tmp_path / "hetrec2011-lastfm-2k"))
    nb = nbformat.read(source_path(LESSON), as_version=4)
    first = [c for c in nb.cells if c.cell_type == "code"][:2]  # the set-up cell and the data cell
    assert "LASTFM_PATH is None:\n    world =" in first[1].source
    nb.cells = first
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    ran = execute(nb, tmp_path)
    assert not any(errors(c) for c in ran.cells), [errors(c) for c in ran.cells]
    assert "by 1,500 users of 1,000 tracks" in ran.cells[1].outputs[0].text, "grading must use the generated world"
