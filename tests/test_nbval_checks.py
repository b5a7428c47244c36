"""The check of the solutions' stored outputs (tests/checked_outputs.py, nbval's comparison) really compares them."""

import copy

import nbformat

from checked_outputs import MARKER, mismatches
from notebook_tools import ASSIGNMENTS, source_path


def test_every_lesson_has_checked_cells_with_stored_outputs():
    for name in ASSIGNMENTS:
        checked = [c for c in nbformat.read(source_path(name), as_version=4).cells if MARKER in c.source]
        assert checked and all(c.outputs for c in checked), f"{name}: checked cells need stored outputs (make outputs)"


def test_a_changed_checked_output_is_found_and_the_stored_one_passes():
    stored = nbformat.read(source_path(ASSIGNMENTS[0]), as_version=4)
    assert mismatches(stored, stored.cells) == {}
    ran = copy.deepcopy(stored.cells)
    target = next(c for c in ran if MARKER in c.source)
    output = target.outputs[0]
    if "text" in output:
        output.text = output.text.replace("1", "2", 1)
    else:
        output.data["text/plain"] = output.data["text/plain"].replace("1", "2", 1)
    found = mismatches(stored, ran)
    assert list(found) == [target.source.splitlines()[1]], found
