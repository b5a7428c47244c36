"""Make `tf.keras` resolve to Keras 2 (tf-keras), which TFRS 0.7.7 requires."""

from __future__ import annotations

import os
import sys
import threading
from types import ModuleType

# Lines TensorFlow prints on import and device discovery: the missing GPU, the CPU's
# instruction sets and, on CPUs with AVX-512 VNNI/BF16, AVX-VNNI or AMX, the oneDNN
# notice (which ignores TF_CPP_MIN_LOG_LEVEL). They are informational, but go
# straight to file descriptor 2, where Jupyter shows them and nbgrader would
# count them as errors.
STARTUP_NOISE = (
    "All log messages before absl::InitializeLog()",
    "cudart_stub.cc",
    "cpu_feature_guard.cc",
    "To enable the following instructions",
    "rebuild TensorFlow with the appropriate compiler flags",
    "failed call to cuInit",
    "oneDNN custom operations are on",
)

KERAS3_MESSAGE = (
    "TensorFlow is already loaded with Keras 3, but TensorFlow Recommenders "
    "needs Keras 2 (tf-keras). Restart the kernel (Kernel > Restart Kernel) "
    "and run `import helpers` before importing tensorflow, or start Jupyter "
    "with `make lab`, which sets TF_USE_LEGACY_KERAS=1 for you."
)


def use_keras2() -> None:
    """Set TF_USE_LEGACY_KERAS=1 and fail loudly if tf.keras is already Keras 3."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf = sys.modules.get("tensorflow")
    # Until first use, tf.keras is a lazy loader; once used, TensorFlow swaps in
    # the real module, whose name tells which Keras it picked.
    keras = vars(tf).get("keras") if isinstance(tf, ModuleType) else None
    if type(keras) is ModuleType and not keras.__name__.startswith("tf_keras"):
        raise ImportError(KERAS3_MESSAGE)


def _drain(read_fd: int, kept: list[bytes]) -> None:
    """Read a pipe to its end, collecting the bytes."""
    while chunk := os.read(read_fd, 65536):
        kept.append(chunk)


def import_tensorflow_quietly() -> ModuleType:
    """Import TensorFlow with its start-up banner removed; any other stderr line is kept."""
    use_keras2()
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    read_fd, write_fd = os.pipe()
    kept: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(read_fd, kept), daemon=True)
    reader.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery logs the missing GPU once, here
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        reader.join(timeout=5)
        os.close(read_fd)
    sys.stderr.write(without_startup_noise(b"".join(kept).decode(errors="replace")))
    tf.get_logger().setLevel("ERROR")
    return tf


def without_startup_noise(text: str) -> str:
    """`text` without the lines of TensorFlow's start-up banner; every other line is kept."""
    lines = text.splitlines(keepends=True)
    return "".join(line for line in lines if not any(noise in line for noise in STARTUP_NOISE))
