"""requirements.txt, environment.yml and the installed venv agree on one pinned set."""

import re
from importlib.metadata import version

import yaml
from packaging.requirements import Requirement

from conftest import ROOT


def canonical(name: str) -> str:
    """PyPI/conda name in one spelling: lowercase, '-' for '_' and '.'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_pins() -> dict[str, str]:
    """{name: version} from requirements.txt, which must pin every line exactly."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"{line!r} in requirements.txt is not an exact pin"
        pins[canonical(req.name)] = spec.version
    return pins


def conda_pins() -> tuple[dict[str, str], dict]:
    """({name: version} from environment.yml's conda and pip sections, the parsed file)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if not line.startswith("-"):
                    req = Requirement(line)
                    pins[canonical(req.name)] = next(iter(req.specifier)).version
        elif "=" in dep:
            name, _, ver = dep.partition("=")
            pins[canonical(name)] = ver
    return pins, env


def test_requirements_and_environment_yml_pin_the_same_versions():
    conda, env = conda_pins()
    assert conda.pop("python") == "3.11"
    assert pip_pins() == conda


def test_environment_yml_is_usable_on_binder():
    _, env = conda_pins()
    assert env["channels"] == ["conda-forge"]
    assert env["variables"]["TF_USE_LEGACY_KERAS"] == "1"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section, "Binder must install the helpers package"
    assert "pip" in env["dependencies"]


def test_keras2_stack_is_pinned_as_required():
    pins = pip_pins()
    assert pins["tensorflow"] == "2.21.0"
    assert pins["tf-keras"] == "2.21.0"
    assert pins["tensorflow-recommenders"] == "0.7.7"
    assert "tensorflow-cpu" not in pins
    assert pins["pandas"].startswith("3.")
    assert pins["jupyterlab"].startswith("4.")


def test_installed_versions_match_the_pins():
    wrong = {name: (want, version(name)) for name, want in pip_pins().items() if version(name) != want}
    assert not wrong, f"installed versions differ from requirements.txt (pinned, installed): {wrong}"


def test_nbgrader_imports_without_compiling_the_iri_grammar():
    # jsonschema 4.24+ imports rfc3987-syntax, whose grammar costs 2-3 s in every process that imports nbformat
    import subprocess
    import sys

    code = "import sys, nbgrader.apps; print(sorted(m for m in ('rfc3987_syntax', 'lark') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", f"importing nbgrader loaded {loaded}: pin jsonschema below 4.24 (requirements.txt)"
