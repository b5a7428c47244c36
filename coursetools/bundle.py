"""The student bundle: what students get, without solutions, tests or hidden checks."""

from __future__ import annotations

import zipfile
from pathlib import Path

NAME = "recsys-course-student"
# (path in the course, path in the bundle): the student's own README, Makefile and nbgrader settings.
FROM_BUNDLE_FOLDER = [("bundle/README.md", "README.md"), ("bundle/Makefile", "Makefile"),
                      ("bundle/nbgrader_config.py", "nbgrader_config.py")]
AS_IS = ["venv.mk", "requirements.txt", "environment.yml", "pyproject.toml"]


def bundle_files(root: Path) -> dict[str, Path]:
    """Path in the bundle -> file in the course, for every file students get."""
    files = {dest: root / src for src, dest in FROM_BUNDLE_FOLDER}
    files.update({name: root / name for name in AS_IS})
    files.update({f"helpers/{p.name}": p for p in sorted((root / "helpers").glob("*.py"))})
    for notebook in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in notebook.parts:
            files[str(notebook.relative_to(root))] = notebook
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"the student bundle needs these files, which are missing: {missing}")
    return files


def student_bundle(root: Path, out: Path | None = None) -> Path:
    """Write the zip students get (dist/recsys-course-student.zip by default) and return its path."""
    out = out or root / "dist" / f"{NAME}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for dest, src in bundle_files(root).items():
            info = zipfile.ZipInfo(f"{NAME}/{dest}", date_time=(2026, 1, 1, 0, 0, 0))  # the same bytes every time
            info.external_attr = 0o644 << 16
            archive.writestr(info, src.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    print(f"wrote {out} (unzip it and run `make lab` in {NAME}/)")
    return out
