"""A lesson's secret: what its hidden checks draw from (lesson 3's hidden world), made once by `make release` with
the lesson's verify.make_secret() and kept in the course root, which no student, bundle or grading kernel sees."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

SECRETS = "grading-secrets"  # in the course root: <lesson>.json, readable by the instructor alone


def secret_path(root: Path, lesson: str) -> Path:
    """Where the course keeps `lesson`'s secret: in the course root, which no grading kernel and no bundle sees."""
    return root / SECRETS / f"{lesson}.json"


def load_secret(root: Path, lesson: str) -> dict | None:
    """`lesson`'s secret, or None if it has none yet."""
    path = secret_path(root, lesson)
    return json.loads(path.read_text()) if path.is_file() else None


def ensure_secret(root: Path, lesson: str, checks: ModuleType) -> dict | None:
    """`lesson`'s secret, made once by its verify.make_secret() if it has one and none is kept yet; never replaced."""
    if not hasattr(checks, "make_secret") or load_secret(root, lesson) is not None:
        return load_secret(root, lesson)
    secret = checks.make_secret()
    path = secret_path(root, lesson)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(secret, indent=1) + "\n")
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return secret
