"""Generate notebooks/ from solutions/ with nbgrader, or check that they are in sync.

    python scripts/student_notebooks.py          # regenerate notebooks/
    python scripts/student_notebooks.py --check  # exit 1 if notebooks/ differs

Regenerating never overwrites a student notebook that has uncommitted edits.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE, RELEASE = ROOT / "solutions", ROOT / "notebooks"


def assignments() -> list[str]:
    """Names of the assignments in solutions/ (one folder each)."""
    return sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and not p.name.startswith("."))


def generate(dest: Path) -> None:
    """Run nbgrader generate_assignment for every assignment, writing into `dest`."""
    for name in assignments():
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--no-db", "--force",
             f"--CourseDirectory.release_directory={dest}", "--log-level=WARN"],
            cwd=ROOT, check=True,
        )


def notebook_files(folder: Path) -> set[Path]:
    """Notebook paths below `folder`, relative to it."""
    return {p.relative_to(folder) for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}


def differences(fresh: Path) -> list[str]:
    """Relative paths that differ between a fresh generation and notebooks/."""
    ours = notebook_files(RELEASE) if RELEASE.exists() else set()
    theirs = notebook_files(fresh)
    changed = [p for p in ours & theirs if not filecmp.cmp(RELEASE / p, fresh / p, shallow=False)]
    return sorted(str(p) for p in (ours ^ theirs) | set(changed))


def locally_edited(paths: list[str]) -> list[str]:
    """Those of `paths` under notebooks/ that git reports as modified or untracked."""
    out = subprocess.run(["git", "status", "--porcelain", "--", "notebooks"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    dirty = {line[3:].strip() for line in out.splitlines()}
    return [p for p in paths if f"notebooks/{p}" in dirty]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report differences")
    parser.add_argument("--force", action="store_true", help="overwrite notebooks with local edits")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        changed = differences(fresh)
        if args.check:
            for path in changed:
                print(f"out of date: notebooks/{path}")
            return 1 if changed else 0
        edited = locally_edited(changed)
        if edited and not args.force:
            print("refusing to overwrite student notebooks with uncommitted edits "
                  f"(commit or move them first, or pass --force): {edited}", file=sys.stderr)
            return 1
        for path in changed:
            target = RELEASE / path
            if (fresh / path).exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fresh / path, target)
                print(f"wrote notebooks/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
