"""The student bundle: what students get, without solutions, tests or hidden checks."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from coursetools.nbgrader_cli import chosen

NAME = "recsys-course-student"
# (path in the course, path in the bundle): the student's own README, Makefile and nbgrader settings.
FROM_BUNDLE_FOLDER = [("bundle/README.md", "README.md"), ("bundle/Makefile", "Makefile"),
                      ("bundle/nbgrader_config.py", "nbgrader_config.py")]
AS_IS = ["venv.mk", "requirements.txt", "environment.yml", "pyproject.toml"]


def bundle_files(root: Path, lessons: list[str]) -> dict[str, Path]:
    """Path in the bundle -> file in the course, for every file students get (the named lessons' notebooks only)."""
    files = {dest: root / src for src, dest in FROM_BUNDLE_FOLDER}
    files.update({name: root / name for name in AS_IS})
    files.update({f"helpers/{p.name}": p for p in sorted((root / "helpers").glob("*.py"))})
    files.update({f"notebooks/{name}/{name}.ipynb": root / "notebooks" / name / f"{name}.ipynb" for name in lessons})
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"the student bundle needs these files, which are missing: {missing}")
    return files


def student_readme(text: str, lessons: list[str]) -> str:
    """The student README for the named lessons: the others' rows and paragraphs dropped, and the file each lesson
    is handed in as listed where the README says <!-- hand-in -->."""
    lines = [line for line in text.splitlines(keepends=True)
             if not (line.startswith("| `notebooks/") and line.split("/")[1] not in lessons)]
    text = "".join(lines)
    text = re.sub(r"<!-- lesson: (\w+) -->\n(.*?)<!-- end -->\n",
                  lambda m: m[2] if m[1] in lessons else "", text, flags=re.S)
    hand_in = "".join(f"- `{name}.ipynb`: the file `notebooks/{name}/{name}.ipynb`\n" for name in lessons)
    return re.sub(r"\n{3,}", "\n\n", text.replace("<!-- hand-in -->\n", hand_in))


def student_bundle(root: Path, out: Path | None = None, lessons: list[str] | None = None) -> Path:
    """Write the zip students get, with the named lessons (default: all), and return its path:
    dist/recsys-course-student.zip, or dist/recsys-course-student-<lessons>.zip for some lessons."""
    names = chosen(root, lessons)
    out = out or root / "dist" / (f"{NAME}-{'-'.join(names)}.zip" if lessons else f"{NAME}.zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for dest, src in bundle_files(root, names).items():
            info = zipfile.ZipInfo(f"{NAME}/{dest}", date_time=(2026, 1, 1, 0, 0, 0))  # the same bytes every time
            info.external_attr = 0o644 << 16
            data = student_readme(src.read_text(), names).encode() if dest == "README.md" else src.read_bytes()
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    print(f"wrote {out} with {', '.join(names)} (unzip it and run `make lab` in {NAME}/)")
    return out
