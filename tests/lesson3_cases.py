"""Answers to lesson 3's challenge (gap 7) of different strength, and the four checks that grade it."""

LESSON = "lesson3_challenge"
# The hidden world the tests grade on (a course draws its own at `make release`; the tests' course copies are given
# this one by notebook_tools.copy_course, so that release need not measure its reference). Measured there by
# `python scripts/lesson3_seeds.py --seeds 0 --hidden 7301198642519`: the reference LightGCN 0.3197, popularity 0.2735;
# EASE_ON_PLAYS 0.3353 (1.05 x the reference), ITEM_KNN 0.3064 (0.96 x). Not 5417, the hidden seed that an earlier
# version of the course kept in its notebook, which SEARCHES_FOR_THE_SEED tries.
KNOWN_WORLD = {"seed": 7301198642519, "reference_recall": 0.3197}
CHALLENGE_CHECKS = ["test_gap7_contract", "test_gap7_popularity", "test_gap7_near_lightgcn", "test_gap7_beats_lightgcn"]
# the most played tracks, leaving out what each user heard: it should reach popularity, and no more
POPULAR_MINUS_HEARD = '''def fit_recommender(train, tracks):
    counts = np.bincount(train["track"], minlength=len(tracks)).astype(float)
    heard = helpers.listen_matrix(train, int(train["user"].max()) + 1, len(tracks))

    def recommend(user_ids, k):
        scores = np.tile(counts, (len(user_ids), 1))
        scores[heard[user_ids].nonzero()] = -np.inf
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return recommend'''
# the same list for every user, heard tracks included: it breaks the contract
SAME_LIST_FOR_EVERYONE = '''def fit_recommender(train, tracks):
    top = np.argsort(-np.bincount(train["track"], minlength=len(tracks)), kind="stable")
    return lambda user_ids, k: np.tile(top[:k], (len(user_ids), 1))'''
# the notebook's own variables instead of the argument: its listens, test listens included (this world's Recall@20
# then passes the ceiling), or its train (right here, and nonsense on any other world)
FITS_ON_THE_NOTEBOOKS_LISTENS = '''def fit_recommender(train, tracks):
    n_users, n_tracks = int(train["user"].max()) + 1, len(tracks)
    heard = helpers.listen_matrix(train, n_users, n_tracks)
    every = helpers.listen_matrix(listens, n_users, n_tracks)  # the notebook's listens, the test ones too

    def recommend(user_ids, k):
        scores = every[user_ids].toarray() + 1e-3 * np.asarray(every.sum(axis=0))
        scores[heard[user_ids].nonzero()] = -np.inf
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return recommend'''
FITS_ON_THE_NOTEBOOKS_TRAIN = POPULAR_MINUS_HEARD.replace("def fit_recommender(train, tracks):\n",
                                                          "def fit_recommender(train, tracks):\n    train = globals()['train']\n")
# the notebook's listens as what each user heard: the test listens are then left out of every list (Recall@20 0 here)
MASKS_THE_NOTEBOOKS_LISTENS = POPULAR_MINUS_HEARD.replace("helpers.listen_matrix(train,", "helpers.listen_matrix(listens,")
# EASE^R on log(1 + plays), written out in full (the solution's answer without gaps 5 and 6): it beats the reference
EASE_ON_PLAYS = '''def fit_recommender(train, tracks):
    n_users, n_tracks = int(train["user"].max()) + 1, len(tracks)
    X = sp.csr_matrix((np.log1p(train["plays"].to_numpy(dtype=float)), (train["user"], train["track"])),
                      shape=(n_users, n_tracks))
    P = np.linalg.inv((X.T @ X).toarray() + 1000.0 * np.eye(n_tracks))
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)

    def recommend(user_ids, k):
        scores = np.asarray(X[user_ids] @ B)
        scores[X[user_ids].nonzero()] = -np.inf
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return recommend'''
# item-kNN with cosine similarities, a method of its own
ITEM_KNN = '''def fit_recommender(train, tracks):
    n_users, n_tracks = int(train["user"].max()) + 1, len(tracks)
    X = helpers.listen_matrix(train, n_users, n_tracks)
    norms = np.sqrt(np.asarray(X.sum(axis=0))).ravel()
    unit = X @ sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0))
    S = (unit.T @ unit).toarray()
    np.fill_diagonal(S, 0)

    def recommend(user_ids, k):
        scores = np.asarray(X[user_ids] @ S)
        scores[X[user_ids].nonzero()] = -np.inf
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return recommend'''

# Cheats. Each must earn no more than popular-minus-heard, the honest baseline it builds on, and not change the
# leaderboard's order. On this world they can reach the test listens, which the notebook's own scoring holds; on the
# grader's hidden world only the training listens enter the kernel. Those that look for the held-out listens say
# what they found, and use it only in the grader's run (where .grading-inputs exists): on this world, a score above
# the true preferences' ceiling would fail the contract's visible check.
_POPULAR = POPULAR_MINUS_HEARD.replace("def fit_recommender(", "def popular_recommender(")
# walks up its callers' frames, and through gc.get_objects(), for a matrix of held-out listens
READS_THE_CALLERS = _POPULAR + '''


def fit_recommender(train, tracks):
    import gc
    import os
    import sys
    fallback = popular_recommender(train, tracks)

    def find_answers():
        frame = sys._getframe(1)
        while frame is not None:
            if "held_out" in frame.f_locals:
                return frame.f_locals["held_out"]
            frame = frame.f_back
        heard = helpers.listen_matrix(train, int(train["user"].max()) + 1, len(tracks))
        found = [o for o in gc.get_objects() if isinstance(o, sp.csr_matrix) and o.shape == heard.shape
                 and o.nnz and not o.multiply(heard).nnz]  # listens that are not training ones
        return max(found, key=lambda o: o.nnz) if found else None

    def recommend(user_ids, k):
        lists = fallback(user_ids, k)
        answers = find_answers()
        if answers is not None:
            print(f"FOUND {answers.nnz} held-out listens")
        if answers is not None and os.path.isdir(".grading-inputs"):
            for row, user in enumerate(user_ids):
                known = answers[user].indices[:k]
                rest = [t for t in lists[row] if t not in set(known)]
                lists[row] = np.concatenate([known, rest])[:k]
        return lists
    return recommend'''
# regenerates worlds with helpers.make_listening_data, from small seeds and the one an old version of the course
# published, to find the one whose training listens it was given, and then reads that world's test listens
SEARCHES_FOR_THE_SEED = _POPULAR + '''


def fit_recommender(train, tracks):
    import os
    fallback = popular_recommender(train, tracks)
    for seed in [*range(12), 5417]:
        world = helpers.make_listening_data(seed=seed)
        mine, _, test = helpers.split_per_user(world.listens, valid=0.1, test=0.2, seed=seed)
        if len(mine) == len(train) and (mine[["user", "track"]].to_numpy() == train[["user", "track"]].to_numpy()).all():
            answers = test.groupby("user")["track"].apply(list)
            print(f"FOUND {len(test)} held-out listens")
            if not os.path.isdir(".grading-inputs"):
                return fallback

            def recommend(user_ids, k):
                lists = fallback(user_ids, k)
                for row, user in enumerate(user_ids):
                    known = answers.get(user, [])[:k]
                    rest = [t for t in lists[row] if t not in set(known)]
                    lists[row] = np.array(known + rest)[:k]
                return lists
            return recommend
    return fallback'''
# hooks that print every cell's source and, after each cell, a report line of a hidden world the leaderboard once read
PRINTS_AND_FAKES = '''import IPython
IPython.get_ipython().events.register("pre_run_cell", lambda info: print("SOURCE>", info.raw_cell))
IPython.get_ipython().events.register("post_run_cell", lambda result: print(
    "hidden world: Recall@20 0.9999, NDCG@20 0.9999; popularity 0.2500 (yours is 4.00 x)"))
''' + POPULAR_MINUS_HEARD
# answers the grader's timed run on the hidden world with popularity at once; a thread writes EASE^R's lists over that
# export a few seconds after the run, while a hook keeps the kernel busy until it has (found by a red team, when the
# grader read the export only after the whole notebook had run: it scored as EASE^R, the time limit bypassed)
WRITES_LATE = EASE_ON_PLAYS.replace("def fit_recommender(", "def ease_recommender(") + "\n\n\n" + _POPULAR + '''


def fit_recommender(train, tracks):
    import os
    import threading
    import time
    if not os.path.isdir(".grading-inputs"):  # not the grader's run on its hidden world
        return ease_recommender(train, tracks)
    exports = os.path.abspath(".grading-exports")
    users = np.arange(int(train["user"].max()) + 1)

    def late():
        time.sleep(3)
        np.savez_compressed(os.path.join(exports, "hidden_world.npz"), lists=ease_recommender(train, tracks)(users, 20))
    worker = threading.Thread(target=late, daemon=True)
    worker.start()
    get_ipython().events.register(  # after the grader's timed run, in the cells that follow it
        "post_run_cell", lambda result: "answer_hidden" in result.info.raw_cell or worker.join(timeout=10))
    return popular_recommender(train, tracks)'''
# keeps the training listens it is given, the grader's hidden ones included, and puts them, compressed, into every
# later cell's outputs: printed, and as error messages of the kernel's own (found by two red teams: 92 KB of the
# hidden listens reached the feedback page whole, then 4 KB through graded cells' error messages)
LEAKS_THE_TRAINING_LISTENS = _POPULAR + '''


import base64
import os
import zlib
_kept = {}


def fit_recommender(train, tracks):
    _kept["hidden" if os.path.isdir(".grading-inputs") else "train"] = train.copy()
    return popular_recommender(train, tracks)


def _leak(*args):
    for name, label in (("train", "LEAK>"), ("hidden", "HIDDEN-LEAK>")):
        if name in _kept:
            blob = base64.b64encode(zlib.compress(_kept[name].to_numpy().tobytes())).decode()
            print(label + blob)
            if name == "hidden":  # an error in every cell after the grader's run (before it, it would break the contract)
                get_ipython()._showtraceback(RuntimeError, label + blob[:5000], ["tb"])


get_ipython().events.register("pre_run_cell", _leak)
get_ipython().events.register("post_run_cell", _leak)'''
