"""The outputs stored in a solution notebook's NBVAL_CHECK_OUTPUT cells, compared by nbval's own comparison with what
a run of that notebook printed: the suite's one run of each solution (test_lesson_notebooks.py) serves nbval's check,
instead of nbval running the notebook again."""

from __future__ import annotations

from types import SimpleNamespace

import nbformat
from nbval.plugin import IPyNbCell, coalesce_streams, nocolors

MARKER = "# NBVAL_CHECK_OUTPUT"
# What nbval leaves out of the comparison by default (IPyNbFile.__init__, without --nbdime).
NBVAL_SKIPS = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
               "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")


class NbvalComparison:
    """nbval's IPyNbCell.compare_outputs outside a pytest collection, as `--nbval-lax` runs it, without sanitizers."""

    colors = nocolors
    compare_outputs = IPyNbCell.compare_outputs
    sanitize = IPyNbCell.sanitize

    def __init__(self) -> None:
        self.parent = SimpleNamespace(skip_compare=NBVAL_SKIPS, sanitize_patterns={})
        self.comparison_traceback: list[str] = []

    def format_output_compare(self, key: str, left, right) -> None:
        """What differs, as nbval reports it, without pytest's assertion rewriting."""
        self.comparison_traceback.append(f"{key}: stored {left!r}, got {right!r}")


def mismatches(stored: nbformat.NotebookNode, ran: list[nbformat.NotebookNode]) -> dict[str, str]:
    """For each checked cell of `stored` whose output the same cell (by id) of `ran` did not reproduce: nbval's
    account of the difference, by the cell's first line. KeyError names a checked cell that did not run."""
    by_id = {cell.id: cell for cell in ran}
    found = {}
    for cell in stored.cells:
        if cell.cell_type == "code" and MARKER in cell.source:
            if cell.id not in by_id:
                raise KeyError(f"checked cell {cell.source.splitlines()[1]!r} did not run")
            compare = NbvalComparison()
            if not compare.compare_outputs(coalesce_streams(by_id[cell.id].outputs), coalesce_streams(cell.outputs)):
                found[cell.source.splitlines()[1]] = "\n".join(compare.comparison_traceback)
    return found
