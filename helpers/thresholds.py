"""The thresholds that a lesson's visible checks (in its notebook) and the grader's own checks (its verify.py) share:
one home each, so that an instructor who changes one changes both (docs/changing-a-lesson.md)."""

# Lesson 1, gap 8: GMF's test RMSE lies within this of the training mean's (measured: within 0.001 over 5 seeds).
GMF_NEAR_BASELINE = 0.02
# Lesson 2, gap 5: GMF's test RMSE is at most this many times the oracle's (the reference reaches 1.13-1.22) ...
GMF_NEAR_ORACLE = 1.25
# ... and at most this many times the global mean's.
GMF_BELOW_MEAN = 0.75
