"""Run each solution notebook and store the outputs nbval compares, and no others.

    python scripts/store_checked_outputs.py [LESSON ...]   (no lesson: every one)

Only cells marked `# NBVAL_CHECK_OUTPUT` keep their outputs (and execution
counts, which nbval needs); every other cell is saved blank, so diffs stay small.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
MARK = "# NBVAL_CHECK_OUTPUT"


def store(path: Path) -> None:
    """Execute the notebook at `path` and rewrite it with only the checked outputs."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if MARK not in cell.source:
            cell.outputs = []
            cell.execution_count = None  # nbval only compares cells that were run
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    print(f"stored checked outputs in {path.relative_to(ROOT)}")


def main(lessons: list[str]) -> int:
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        if not lessons or path.parent.name in lessons:
            store(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
