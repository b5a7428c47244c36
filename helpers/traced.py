"""Run a student's function as training runs it, inside a tf.function, and name what fails there."""

from __future__ import annotations

import re
from typing import Callable

from helpers.tfenv import import_tensorflow_quietly


def check_traceable(function: Callable, *args: object, advice: str) -> None:
    """Call `function(*args)` in a tf.function; if it fails there, raise an AssertionError saying why, then `advice`."""
    tf = import_tensorflow_quietly()
    try:
        tf.function(function)(*args)
    except Exception as error:
        if "Fill in this gap" in str(error):
            raise
        said = [line.strip() for line in str(error).splitlines() if line.strip()][-1].split(". ")[0]
        said = re.sub(r"^\w+(Error|Exception): ", "", said)[:200]  # its words, not its type: no NotImplementedError here
        raise AssertionError(f"{function.__name__} failed inside a tf.function, where tensors have no values yet, so numpy\n"
                             f"and .numpy() cannot use them. TensorFlow said: {said}\n{advice}") from None
