"""One call that makes a notebook's randomness repeatable."""

from __future__ import annotations

import random

import numpy as np


def seed_everything(seed: int = 42, deterministic_ops: bool = True) -> None:
    """Seed Python, numpy and TensorFlow; optionally make TF ops deterministic."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    from helpers.tfenv import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    random.seed(seed)
    np.random.seed(seed)
    tf.keras.utils.set_random_seed(seed)
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
