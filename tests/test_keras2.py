"""Keras 2 is in force before TensorFlow loads, however the course is started."""

import json

import pytest

from jupyter_client.kernelspec import KernelSpecManager

from conftest import run_python


@pytest.fixture(scope="module")
def helpers_first():
    """One interpreter that imports helpers first, then TensorFlow and TFRS, prints tf.keras's module, and then
    whether helpers.seed_everything repeats numpy's and TensorFlow's draws (two tests read its two lines)."""
    result = run_python(
        "import helpers, numpy as np, tensorflow as tf, tensorflow_recommenders as tfrs\n"
        "print(tf.keras.__name__)\n"
        "tf = helpers.import_tensorflow_quietly()\n"
        "helpers.seed_everything(3); a = (np.random.rand(), float(tf.random.uniform(())), "
        "tf.keras.layers.Dense(2).build((None, 2)) )\n"
        "helpers.seed_everything(3); b = (np.random.rand(), float(tf.random.uniform(())))\n"
        "print(a[:2] == b)\n"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def test_importing_helpers_first_makes_tfrs_importable(helpers_first):
    assert helpers_first[0].startswith("tf_keras")


def test_helpers_after_plain_tensorflow_import_still_works():
    # TensorFlow resolves tf.keras lazily, so helpers may come after `import tensorflow`.
    result = run_python("import tensorflow as tf, helpers, tensorflow_recommenders; print(tf.keras.__name__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("tf_keras")


def test_helpers_after_keras3_is_loaded_says_what_to_do():
    result = run_python("import tensorflow as tf; tf.keras.layers.Dense; import helpers")
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "Keras 3" in result.stderr and "Restart the kernel" in result.stderr


def test_without_the_switch_tfrs_really_fails():
    # The guard above matters: this is the failure it prevents.
    result = run_python("import tensorflow_recommenders")
    assert result.returncode != 0
    assert "Keras version 2" in result.stderr


# TF_ENABLE_ONEDNN_OPTS=1 forces the oneDNN path that TensorFlow takes by itself on
# CPUs with AVX-512 VNNI/BF16 or AMX, and =0 the one it takes elsewhere, so both
# start-ups are checked on whatever CPU runs the suite.
@pytest.mark.parametrize("onednn", ["0", "1"])
def test_quiet_import_prints_nothing_on_stderr(onednn, monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", onednn)
    result = run_python(
        "import helpers; tf = helpers.import_tensorflow_quietly();"
        "import tensorflow_recommenders; print(tf.__version__)",
        env_drop=("TF_USE_LEGACY_KERAS", "TF_CPP_MIN_LOG_LEVEL"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.21.0"
    assert result.stderr == ""


def test_forced_onednn_really_prints_the_notice_that_the_quiet_import_removes(monkeypatch):
    # A plain import on the forced path shows the notice, so the test above is not vacuous.
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    result = run_python("import tensorflow")
    assert result.returncode == 0, result.stderr
    assert "oneDNN custom operations are on" in result.stderr, result.stderr


# Start-up lines as TensorFlow 2.21 prints them, on a CPU without a GPU and on one with AMX.
BANNER = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1764410000.000000   123 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1764410000.000000   123 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
I0000 00:00:1764410000.000000   123 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 AVX512_FP16 AVX_VNNI AMX_TILE AMX_INT8 AMX_BF16 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1764410000.000000   123 cuda_executor.cc:1309] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
"""


def test_banner_lines_are_dropped_and_other_lines_kept():
    from helpers.tfenv import without_startup_noise

    assert without_startup_noise(BANNER) == ""
    real = "E0000 00:00:1764410000.000000   123 some_op.cc:42] a real problem\n"
    assert without_startup_noise(BANNER + real + BANNER) == real


def test_quiet_import_keeps_other_stderr_lines():
    code = (
        "import os, sys, builtins\n"
        "real = builtins.__import__\n"
        "def noisy(name, *a, **k):\n"
        "    if name == 'tensorflow': os.write(2, b'a real problem\\n')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = noisy\n"
        "import helpers; helpers.import_tensorflow_quietly()\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "a real problem" in result.stderr
    assert "cudart_stub" not in result.stderr


def test_the_venv_kernel_sets_the_switch():
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.env.get("TF_USE_LEGACY_KERAS") == "1", json.dumps(spec.to_dict())


def test_seed_everything_repeats_numpy_and_tensorflow_draws(helpers_first):
    assert helpers_first[1:] == ["True"]


def test_seed_everything_rejects_bad_seed():
    result = run_python("import helpers; helpers.seed_everything(-1)")
    assert "seed must be a non-negative integer" in result.stderr
