"""Answers to lesson 3's challenge (gap 7) of different strength, and the four checks that grade it."""

LESSON = "lesson3_challenge"
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
