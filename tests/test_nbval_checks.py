"""The nbval run of the solutions really compares the stored outputs."""

import subprocess
import sys

import nbformat

from notebook_tools import ASSIGNMENTS, source_path


def test_nbval_fails_when_a_checked_output_changes(tmp_path):
    name = ASSIGNMENTS[0]
    nb = nbformat.read(source_path(name), as_version=4)
    checked = [c for c in nb.cells if c.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" in c.source]
    assert checked and all(c.outputs for c in checked), "checked cells need stored outputs"
    target = checked[0].outputs[0]
    target.data["text/plain"] = target.data["text/plain"].replace("521", "522")
    nb.cells = nb.cells[: nb.cells.index(checked[0]) + 1]  # the cells up to it are all nbval needs to run
    nbformat.write(nb, tmp_path / f"{name}.ipynb")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "--nbval-lax", "--nbval-current-env", str(tmp_path / f"{name}.ipynb")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "1 failed" in result.stdout
