"""Keras 2 is in force before TensorFlow loads, however the course is started."""

import json

from jupyter_client.kernelspec import KernelSpecManager

from conftest import run_python


def test_importing_helpers_first_makes_tfrs_importable():
    result = run_python(
        "import helpers, tensorflow as tf, tensorflow_recommenders as tfrs;"
        "print(tf.keras.__name__)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("tf_keras")


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


def test_quiet_import_prints_nothing_on_stderr():
    result = run_python(
        "import helpers; tf = helpers.import_tensorflow_quietly();"
        "import tensorflow_recommenders; print(tf.__version__)",
        env_drop=("TF_USE_LEGACY_KERAS", "TF_CPP_MIN_LOG_LEVEL"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.21.0"
    assert result.stderr == ""


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


def test_seed_everything_repeats_numpy_and_tensorflow_draws():
    code = (
        "import helpers, numpy as np; tf = helpers.import_tensorflow_quietly()\n"
        "helpers.seed_everything(3); a = (np.random.rand(), float(tf.random.uniform(())), "
        "tf.keras.layers.Dense(2).build((None, 2)) )\n"
        "helpers.seed_everything(3); b = (np.random.rand(), float(tf.random.uniform(())))\n"
        "print(a[:2] == b)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_seed_everything_rejects_bad_seed():
    result = run_python("import helpers; helpers.seed_everything(-1)")
    assert "seed must be a non-negative integer" in result.stderr
