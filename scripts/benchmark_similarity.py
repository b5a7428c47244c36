"""Time the similarity report (coursetools/similarity.py) over a class of synthetic lesson-1 submissions.

    python scripts/benchmark_similarity.py [--students 300] [--copies 5] [--seed 0]

Each student's notebook is the handed-out lesson 1 with its gaps filled from the solution notebook's solution
regions; most students' answers are varied at random (the names they assign renamed, comments and blank lines
added), a few are byte-identical copies of another's notebook. The floor is the time of merely reading the same
notebooks with nbformat, measured in the same run, so the figure is also given as a ratio to it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import re
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from coursetools.similarity import similarity  # noqa: E402

LESSON = "lesson1_basics"
COMMENTS = ["# my answer", "# see the hint above", "# TODO: check this again", "# works", "# done"]


def solution_regions() -> dict[str, str]:
    """The text between ### BEGIN SOLUTION and ### END SOLUTION in each gap of the solution notebook, dedented."""
    nb = nbformat.read(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4)
    regions = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        found = re.search(r"### BEGIN SOLUTION\n(.*?)\n[ \t]*### END SOLUTION", cell.source, re.S)
        if meta.get("solution") and found:
            regions[meta["grade_id"]] = textwrap.dedent(found.group(1))
    return regions


def varied(answer: str, rng: random.Random) -> str:
    """`answer` with the names it assigns renamed, and comments and blank lines added, at random."""
    for name in set(re.findall(r"^\s*(\w+)\s*=", answer, re.M)):
        if rng.random() < 0.7:
            answer = re.sub(rf"\b{name}\b", f"{name}_{rng.randrange(1000)}", answer)
    lines = []
    for line in answer.splitlines():
        if rng.random() < 0.3:
            lines.append("")
        if rng.random() < 0.3:
            lines.append(rng.choice(COMMENTS))
        lines.append(line + ("  " + rng.choice(COMMENTS) if rng.random() < 0.2 else ""))
    return "\n".join(lines)


def filled(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the release with each gap's stub line replaced by its answer (indented as the stub)."""
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if cell.cell_type == "code" and meta.get("solution") and grade_id in answers:
            lines = cell.source.splitlines()
            at = next(i for i, line in enumerate(lines) if "raise NotImplementedError" in line)
            indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
            lines[at:at + 1] = [indent + line if line else line for line in answers[grade_id].splitlines()]
            cell.source = "\n".join(lines)
    return nb


def make_class(root: Path, students: int, copies: int, seed: int) -> None:
    """A course in `root`: the real lesson-1 release, and `students` submissions, `copies` of them exact copies."""
    rng = random.Random(seed)
    release_path = root / "notebooks" / LESSON / f"{LESSON}.ipynb"
    release_path.parent.mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / LESSON / f"{LESSON}.ipynb", release_path)
    release = nbformat.read(release_path, as_version=4)
    regions = solution_regions()
    paths = []
    for n in range(students):
        path = root / "submitted" / f"student{n:03d}" / LESSON / f"{LESSON}.ipynb"
        path.parent.mkdir(parents=True)
        if n >= students - copies and paths:
            shutil.copy(rng.choice(paths), path)
        else:
            nbformat.write(filled(release, {g: varied(a, rng) for g, a in regions.items()}), path)
            paths.append(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_class(root, args.students, args.copies, args.seed)
        notebooks = sorted(root.glob(f"submitted/*/{LESSON}/{LESSON}.ipynb"))
        start = time.perf_counter()
        for path in notebooks:
            nbformat.read(path, as_version=4)
        floor = time.perf_counter() - start
        printed = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(printed):
            similarity(root, LESSON)
        seconds = time.perf_counter() - start
        pairs = (root / "similarity" / LESSON / "pairs.csv").read_text().splitlines()
    print(printed.getvalue().strip().replace(tmp, "<tmp>"))
    print(f"{args.students} submissions ({args.copies} exact copies), {len(pairs) - 1} pairs")
    print(f"read the notebooks with nbformat (floor)  {floor:6.2f} s")
    print(f"similarity report                         {seconds:6.2f} s  {seconds / floor:5.1f}x floor")


if __name__ == "__main__":
    main()
