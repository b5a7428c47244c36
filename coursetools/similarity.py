"""A similarity report of the code students wrote in a lesson's gaps: every pair of submissions ranked by how much
gap-cell code they share (copydetect's winnowing, the algorithm MOSS uses), for an instructor to look at, not proof."""

from __future__ import annotations

import csv
import difflib
import html
import io
import shutil
import textwrap
import tokenize
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CopyDetector
from copydetect.utils import highlight_overlap

# copydetect counts in characters of the filtered code, where every name is one letter (V, F, O), every string one S,
# and spaces and comments are gone: `user_vocabulary = np.unique(ratings[USER_COL].to_numpy(dtype=str))` is 20 of them
# (`V=V.V(V[V].V(V=str))`). A noise threshold (k-gram) of 25 is more than such a whole statement, so a match needs a run
# of shared code longer than one line: the short pieces every honest answer of a small gap has in common
# (`V=V.V.V.V()`, `V=V(V)`) never count on their own, while a copy, which shares every line, shares long runs. On
# lesson 1, two authors' honest answers score 0.35 with k = 12, 0.26 with 15, 0.14 with 20 and 0 from 25 up; copies
# score 1.0 with any k. The guarantee threshold equals the noise threshold (a winnowing window of 1: every 25-gram is a
# fingerprint), as a student's gap code is a few hundred characters and keeping all of them costs little; a wider
# window would keep a handful of fingerprints per file and make the scores of short answers jumpy.
NOISE_T = 25
GUARANTEE_T = 25
COLUMNS = ["rank", "student_a", "student_b", "similarity", "similarity_a", "similarity_b", "shared_tokens"]
LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
MARK = ".coursetools-similarity"  # left in the output folder, so that only a folder this module made is ever replaced
NOTE = ("Similarity is a reason to look at a pair, not proof of copying. Students answering the same short gap alike "
        "is expected; a shared source (the lesson's hints, the documentation, a tutorial), a study group or the "
        "handed-out code can explain a match. Read the code side by side before concluding anything, and ask the "
        "students before any decision.")


def gap_cells(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The source of each gap cell (nbgrader solution code cell) by its grade_id, in notebook order."""
    gaps: dict[str, str] = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id") and meta["grade_id"] not in gaps:
            gaps[meta["grade_id"]] = cell.get("source", "")
    return gaps


def bare(line: str) -> str:
    """A line without its comment and its spaces (a `#` inside a string is rare in a gap)."""
    return "".join(line.split("#", 1)[0].split())


def pieces(code: str) -> list[tuple[str, str]]:
    """The statements and comment lines of `code`, each as (its tokens without comments, its source lines)."""
    lines, found, words, first = code.splitlines(), [], [], 0
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT and not first:  # a line of its own: a student's comment, or the hint's
            found.append((token.string.strip(), lines[token.start[0] - 1]))
        elif token.type == tokenize.NEWLINE and first:  # a statement ends (a reformatted one still has equal tokens)
            found.append((" ".join(words), "\n".join(lines[first - 1:token.end[0]])))
            words, first = [], 0
        elif token.type not in LAYOUT:
            words.append(token.string)
            first = first or token.start[0]
    return found


# copydetect's boilerplate drops the k-grams found in the handed-out gap cells, but not one that spans handed-out and
# written code, and each such k-gram covers up to 24 characters of handed-out code: comparing whole gap cells that way,
# two honest authors of lesson 1 score 0.63. So the handed-out statements are taken out of each gap cell first, by
# their tokens (a student who reformatted or commented them still has the same tokens), and the boilerplate only
# catches handed-out code moved to another place.
def written_code(answer: str, stub: str) -> str:
    """What a student wrote in a gap cell: its statements and comments that are not in the handed-out cell."""
    try:
        given, mine = pieces(stub), pieces(answer)
    except (tokenize.TokenError, SyntaxError):  # an unclosed bracket or a bad indent: compare lines instead
        given, mine = ([(bare(line), line) for line in code.splitlines()] for code in (stub, answer))
    matcher = difflib.SequenceMatcher(None, [key for key, _ in given], [key for key, _ in mine], autojunk=False)
    kept = [text for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal" for _, text in mine[j1:j2]]
    return textwrap.dedent("\n".join(kept)).strip("\n")


def gap_code(gaps: dict[str, str], stubs: dict[str, str]) -> str:
    """One submission's code: what it wrote in each gap of the release, in the release's order (missing: empty)."""
    parts = [f"# {grade_id}\n{written_code(gaps.get(grade_id, ''), stub)}".rstrip() for grade_id, stub in stubs.items()]
    return "\n\n".join(parts) + "\n"


def known_lessons(root: Path) -> list[str]:
    """The lessons with a handed-out notebook notebooks/<lesson>/<lesson>.ipynb."""
    return sorted(p.name for p in (root / "notebooks").glob("*") if (p / f"{p.name}.ipynb").is_file())


def fresh_folder(out: Path) -> None:
    """Empty `out` of a previous report, refusing a folder that this module did not make."""
    if out.exists() and any(out.iterdir()) and not (out / MARK).is_file():
        raise ValueError(f"{out} holds files that are not a similarity report: choose another folder")
    for name in ("code", "boilerplate"):
        shutil.rmtree(out / name, ignore_errors=True)
    (out / "code").mkdir(parents=True)
    (out / "boilerplate").mkdir()
    (out / MARK).write_text("made by coursetools/similarity.py; replaced on each run\n")


def side(code: str, slices: np.ndarray | None, colour: str) -> str:
    """A student's code as escaped HTML, the parts shared with the other of the pair highlighted."""
    if slices is None or slices.size == 0:
        return html.escape(code)
    return highlight_overlap(code, slices, f"<mark class='{colour}'>", "</mark>", escape_html=True)[0]


def page(lesson: str, count: int, pairs: list[dict], shown: list[str], skipped: list[str]) -> str:
    """The report: the note, the lesson, the number of submissions, and the top pairs' code side by side."""
    e = html.escape
    head = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Similarity: {e(lesson)}</title>\n<style>body{{font-family:sans-serif;margin:2em}}"
            ".note{border:2px solid #c60;background:#fff4e5;padding:.8em 1em;max-width:60em}"
            "table{border-collapse:collapse}th,td{padding:.2em .8em;border-bottom:1px solid #ccc;text-align:left}"
            ".pair{display:flex;gap:1em}.pair>div{flex:1;min-width:0}pre{background:#f6f6f6;padding:.5em;"
            "overflow-x:auto}mark.a{background:#fbb}mark.b{background:#bfb}</style></head><body>\n")
    body = [f"<p class=\"note\"><strong>{e(NOTE)}</strong></p>",
            f"<h1>Similarity of the gap-cell code: {e(lesson)}</h1>",
            f"<p>{count} submissions, {len(pairs)} pairs. Only the code written in the gap cells is compared (the "
            "handed-out code, the provided cells and the test cells are not); names are replaced before comparing, "
            f"so renamed copies still match. Every pair is in <a href=\"pairs.csv\">pairs.csv</a>; the top "
            f"{len(shown)}, with the shared code highlighted:</p>"]
    if count < 2:
        body.append("<p>Nothing to compare: fewer than two readable submissions.</p>")
    if skipped:
        body.append(f"<p>Skipped (not a readable notebook): {e(', '.join(skipped))}</p>")
    body.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in COLUMNS) + "</tr>")
    body += ["<tr>" + "".join(f"<td>{e(str(row[c]))}</td>" for c in COLUMNS) + "</tr>" for row in pairs[:len(shown)]]
    body.append("</table>")
    for row, block in zip(pairs, shown):
        body.append(f"<h2>{row['rank']}. {e(row['student_a'])} and {e(row['student_b'])}: {row['similarity']}</h2>")
        body.append(block)
    return head + "\n".join(body) + "\n</body></html>\n"


def similarity(root: Path, lesson: str, out: Path | None = None, top: int = 50) -> int:
    """Write similarity/<lesson>/report.html and pairs.csv: every pair of lesson's submissions ranked by how much
    gap-cell code they share; 0 on success."""
    root = Path(root)
    release = root / "notebooks" / lesson / f"{lesson}.ipynb"
    if not release.is_file():
        raise KeyError(f"unknown lesson {lesson!r}: no {release.relative_to(root)}; "
                       f"known lessons: {', '.join(known_lessons(root)) or 'none'}")
    notebooks = sorted(root.glob(f"submitted/*/{lesson}/{lesson}.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no submissions of {lesson}: expected submitted/<student>/{lesson}/{lesson}.ipynb "
                                f"under {root}")
    out = Path(out) if out is not None else root / "similarity" / lesson
    fresh_folder(out)
    stubs = gap_cells(nbformat.read(release, as_version=4))
    (out / "boilerplate" / f"{lesson}.py").write_text("\n\n".join(stubs.values()) + "\n", encoding="utf-8")
    students, skipped = [], []
    for notebook in notebooks:
        student = notebook.parent.parent.name
        try:
            gaps = gap_cells(nbformat.read(notebook, as_version=4))
        except Exception:  # nbformat raises several kinds for a damaged file
            skipped.append(student)
            continue
        (out / "code" / f"{student}.py").write_text(gap_code(gaps, stubs), encoding="utf-8")
        students.append(student)
    rows: list[dict] = []
    shown: list[str] = []
    if len(students) >= 2:
        detector = CopyDetector(test_dirs=[str(out / "code")], boilerplate_dirs=[str(out / "boilerplate")],
                                extensions=["py"], noise_t=NOISE_T, guarantee_t=GUARANTEE_T, autoopen=False,
                                silent=True, out_file=str(out / "report.html"))
        detector.run()
        index = {Path(f).stem: i for i, f in enumerate(detector.test_files)}
        for n, a in enumerate(students):
            for b in students[n + 1:]:
                sim_a, sim_b = detector.similarity_matrix[index[a], index[b]]
                rows.append({"student_a": a, "student_b": b, "similarity": round(float(max(sim_a, sim_b)), 3),
                             "similarity_a": round(float(sim_a), 3), "similarity_b": round(float(sim_b), 3),
                             "shared_tokens": int(max(detector.token_overlap_matrix[index[a], index[b]], 0))})
        rows.sort(key=lambda r: (-r["similarity"], -r["shared_tokens"], r["student_a"], r["student_b"]))
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank
        for row in rows[:top]:
            fa, fb = (detector.test_files[index[row[k]]] for k in ("student_a", "student_b"))
            if (fa, fb) in detector.slice_matrix:  # copydetect keeps a compared pair's shared parts in one order
                slices = detector.slice_matrix[(fa, fb)]
            else:
                slices = detector.slice_matrix.get((fb, fa), [None, None])[::-1]
            shown.append("<div class=\"pair\">" + "".join(
                f"<div><h3>{html.escape(row[k])}</h3><pre>{side(detector.file_data[f].raw_code, s, c)}</pre></div>"
                for k, f, s, c in (("student_a", fa, slices[0], "a"), ("student_b", fb, slices[1], "b"))) + "</div>")
    with open(out / "pairs.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    (out / "report.html").write_text(page(lesson, len(students), rows, shown, skipped), encoding="utf-8")
    if skipped:
        print(f"skipped {len(skipped)} submissions of {lesson} that are not readable notebooks: {', '.join(skipped)}")
    if len(students) < 2:
        print(f"nothing to compare: {len(students)} readable submission of {lesson}; wrote {out / 'pairs.csv'} "
              "(header only)")
        return 0
    print(f"wrote {out / 'report.html'} and pairs.csv: {len(students)} submissions, {len(rows)} pairs; "
          f"top pair {rows[0]['student_a']} and {rows[0]['student_b']} at similarity {rows[0]['similarity']}")
    return 0
