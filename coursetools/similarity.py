"""A similarity report of the code students wrote in a lesson: every pair of submissions, and each submission against
the lesson's public solution, ranked by how much code they share (copydetect's winnowing, the algorithm MOSS uses), for
an instructor to look at, not proof."""

from __future__ import annotations

import ast
import csv
import functools
import html
import io
import itertools
import os
import re
import shutil
import stat
import textwrap
import tokenize
import warnings
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CopyDetector
from copydetect.utils import highlight_overlap
from IPython.core.inputtransformer2 import TransformerManager

# copydetect counts in characters of the filtered code, where every name is one letter (V, F, O), every string one S,
# and spaces and comments are gone: `user_vocabulary = np.unique(ratings[USER_COL].to_numpy(dtype=str))` is 20 of them
# (`V=V.V(V[V].V(V=str))`). A noise threshold (k-gram) of 25 is more than such a whole statement, so a match needs a run
# of shared code longer than one line: the short pieces every honest answer of a small gap has in common
# (`V=V.V.V.V()`, `V=V(V)`) never count on their own, while a copy, which shares every line, shares long runs. On
# lesson 1, two authors' honest answers score 0.35 with k = 12, 0.26 with 15, 0.14 with 20 and 0 from 25 up; copies
# score 1.0 with any k. The guarantee threshold equals the noise threshold (a winnowing window of 1: every 25-gram is a
# fingerprint), as a student's code is a few hundred characters and keeping all of them costs little; a wider window
# would keep a handful of fingerprints per file and make the scores of short answers jumpy.
NOISE_T = 25
GUARANTEE_T = 25
COLUMNS = ["rank", "student_a", "student_b", "similarity", "similarity_a", "similarity_b", "shared_tokens"]
LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
MARK = ".coursetools-similarity"  # left in the output folder, so that only a folder this module made is ever replaced
# A lesson notebook with its outputs is well under 1 MB, with at most 43 code cells of 44,000 characters in all (lesson
# 3's solution): a bigger file is not read, and a submission with more code or code cells is listed for the instructor
# to look at, not compared. Reading code costs about 1 s per 100,000 characters of dense tokens, so that one
# submission cannot hold up the class's report for long.
MAX_NOTEBOOK_BYTES = 50 * 2**20
MAX_CODE_CHARS = 300_000
MAX_CODE_CELLS = 500
# nbgrader's markers (its default delimiters, which nbgrader_config.py keeps) in the solution notebook.
SOLUTION_MARK = re.compile(r"[ \t]*#+[ \t]*(BEGIN|END) SOLUTION\b.*")
EFFECTS = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)
IDENTITY = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1, ast.FloorDiv: 1, ast.Pow: 1}
IPYTHON = TransformerManager()
NOTE = ("Similarity is a reason to look at a pair, not proof of copying. Students answering the same short gap alike "
        "is expected; a shared source (the lesson's hints, the documentation, a tutorial), a study group or the "
        "handed-out code can explain a match. Read the code side by side before concluding anything, and ask the "
        "students before any decision.")


def public_label(lesson: str) -> str:
    """The name of the public solution in the report: its "/" can never be in a student's folder name."""
    return f"solution (public: solutions/{lesson})"


def pure(node: ast.AST) -> bool:
    """Whether evaluating `node` calls and binds nothing: constants, names, attributes and operations on them."""
    return not any(isinstance(child, EFFECTS) for child in ast.walk(node))


def same(target: ast.AST, value: ast.AST) -> bool:
    """Whether an assignment's target and value are the same expression (`x = x`, `a[0] = a[0]`)."""
    try:
        return ast.dump(target).replace("ctx=Store()", "ctx=Load()") == ast.dump(value)
    except RecursionError:  # an expression nested deeper than ast.dump can go: not one a student pads with
        return False


def inert(stmt: ast.stmt) -> bool:
    """Whether a statement does nothing: `pass`, a bare constant, name or docstring, `x = x`, `x += 0`, `if x: pass`."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr):
        return pure(stmt.value)
    if isinstance(stmt, ast.Assign):
        return pure(stmt.value) and all(same(target, stmt.value) for target in stmt.targets)
    if isinstance(stmt, ast.AugAssign):
        value = stmt.value
        return (pure(stmt.target) and isinstance(value, ast.Constant) and type(value.value) in (int, float)
                and value.value == IDENTITY.get(type(stmt.op)))
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value is None and pure(stmt.target) and pure(stmt.annotation)
    if isinstance(stmt, ast.Assert):
        return isinstance(stmt.test, ast.Constant) and bool(stmt.test.value)
    if isinstance(stmt, ast.If):
        return pure(stmt.test) and all(map(inert, stmt.body + stmt.orelse))
    if isinstance(stmt, (ast.Try, ast.TryStar)):  # nothing in the body raises, so no handler runs
        return all(map(inert, stmt.body + stmt.orelse + stmt.finalbody))
    return False


def inert_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of `body`, and of the blocks inside it, that do nothing (the outermost of nested ones)."""
    for stmt in body:
        if inert(stmt):
            yield stmt
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(stmt, field, []):
                yield from inert_statements([child] if isinstance(child, ast.stmt) else child.body)


def cut(code: str, nodes: list[ast.stmt]) -> str:
    """`code` without the source of `nodes` (and the `;` that joined one to its line), and without blank lines."""
    lines = code.split("\n")
    starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))

    def at(line: int, col: int) -> int:
        """The offset in `code` of ast's (line, column in UTF-8 bytes)."""
        return starts[line - 1] + len(lines[line - 1].encode()[:col].decode("utf-8", "ignore"))

    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        start, end = at(node.lineno, node.col_offset), at(node.end_lineno, node.end_col_offset)
        after = re.match(r"[ \t]*;[ \t]*", code[end:])
        before = re.search(r";[ \t]*\Z", code[code.rfind("\n", 0, start) + 1:start])
        if after:
            end += after.end()
        elif before:
            start -= len(before.group())
        code = code[:start] + code[end:]
    return "\n".join(line for line in code.split("\n") if line.strip())


def pieces(code: str) -> list[tuple[str, str]]:
    """The statements and comment lines of `code`, each as (its tokens without comments, its source lines)."""
    lines, found, words, first = code.split("\n"), [], [], 0  # as tokenize splits it (not at \x0c or \u2028)
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


def bare(line: str) -> str:
    """A line without its comment and its spaces (a `#` inside a string is rare)."""
    return "".join(line.split("#", 1)[0].split())


def statements(code: str) -> list[tuple[str, str]]:
    """`code`'s statements and comment lines as (key, source); its lines, keyed by `bare`, where it does not
    tokenize (an unclosed bracket, a bad indent)."""
    try:
        return pieces(code)
    except (tokenize.TokenError, SyntaxError):
        return [(bare(line), line) for line in code.split("\n") if bare(line)]


def does_nothing(text: str) -> bool:
    """Whether `text`, one statement, parses on its own as statements that all do nothing."""
    try:
        body = ast.parse(textwrap.dedent(text)).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return bool(body) and all(map(inert, body))


def parsed(code: str) -> ast.Module | None:
    """`code`'s syntax tree, or None if it is not Python."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a null byte
        return None


def as_python(code: str) -> str:
    """A cell that is not Python as IPython runs it (its magics and shell escapes as calls), or as it is."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # IPython warns of odd line breaks, which a student may write
            return IPYTHON.transform_cell(code)
    except Exception:  # IPython's own error on a cell it cannot read: compare the cell as written
        return code


def normalised(source: str) -> str:
    """A cell's code as plain Python (IPython's magics as the calls IPython makes of them), without the statements
    that do nothing; in a cell that does not parse, the statements that do nothing on their own are dropped."""
    code = source.encode("utf-8", "replace").decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    tree = parsed(code)
    if tree is None:
        code = as_python(code)
        tree = parsed(code)
    if tree is None:
        return "\n".join(text for _, text in statements(code) if not does_nothing(text))
    return cut(code, list(inert_statements(tree.body)))


def split_solution(source: str) -> tuple[str, str]:
    """A cell of the solution notebook as (the cell without nbgrader's markers and hidden tests, its hidden tests)."""
    kept, hidden, inside = [], [], False
    for line in source.split("\n"):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif inside:
            hidden.append(line)
        elif not SOLUTION_MARK.fullmatch(line):
            kept.append(line)
    return "\n".join(kept), textwrap.dedent("\n".join(hidden))


def code_cells(notebook: nbformat.NotebookNode) -> Iterator[tuple[int, dict, str]]:
    """Each code cell of `notebook` as (its number from 1, the cell, its source), skipping a malformed one."""
    for number, cell in enumerate(notebook.get("cells", []), 1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            yield number, cell, cell["source"]


def handed_out(release: nbformat.NotebookNode, solution: nbformat.NotebookNode | None) -> set[str]:
    """The keys of the statements and comment lines that the course wrote: the release's code cells and the solution's
    hidden tests (a student who has those copied them, but they are not what the student is compared on); and the
    `bare` form of each of their lines."""
    given: set[str] = set()
    sources = [source for _, _, source in code_cells(release)]
    sources += [split_solution(source)[1] for _, _, source in code_cells(solution)] if solution else []
    for source in sources:
        code = normalised(source)
        given.update(key for key, _ in statements(code))
        given.update(bare(line) for line in code.split("\n"))
    return given


@functools.lru_cache(maxsize=16384)
def cell_statements(source: str) -> tuple[tuple[str, str], ...]:
    """A cell's statements and comment lines without those that do nothing, as (key, source); kept for the next
    submission, which has most of its cells as handed out."""
    return tuple(statements(normalised(source)))


def written_code(source: str, given: set[str]) -> str:
    """What a student wrote in a cell: its statements and comment lines, those that do nothing and those handed out
    (wherever they are, however reformatted) left out."""
    kept = [text for key, text in cell_statements(source) if key not in given]
    return textwrap.dedent("\n".join(kept)).strip("\n")


def cell_label(cell: dict, number: int) -> str:
    """A cell's name in the code compared: its nbgrader grade_id if it is a plain one, else its number."""
    meta = cell.get("metadata")
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if isinstance(grade_id, str) and re.fullmatch(r"[\w.-]{1,80}", grade_id) else f"cell {number}"


def notebook_code(notebook: nbformat.NotebookNode, given: set[str], public: bool = False) -> str:
    """All the code a notebook's author wrote, cell by cell in its order, each part headed by a comment naming the
    cell (comments do not count in the comparison); `public`: the solution notebook."""
    parts = []
    for number, cell, source in code_cells(notebook):
        code = written_code(split_solution(source)[0] if public else source, given)
        if code:
            parts.append(f"# {cell_label(cell, number)}\n{code}")
    return "\n\n".join(parts) + "\n"


def read_submission(path: Path) -> nbformat.NotebookNode:
    """A submitted notebook, read without following a link; ValueError if it is not a plain file or is too big."""
    if any(p.is_symlink() for p in (path, path.parent, path.parent.parent)):
        raise ValueError("a link, which is never followed")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise ValueError(f"cannot be opened: {error.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"bigger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception:  # nbformat raises several kinds for a damaged file
        raise ValueError("not a readable notebook") from None


def too_much(notebook: nbformat.NotebookNode) -> str | None:
    """Why a notebook has more code than a lesson's to compare, or None."""
    sources = [source for _, _, source in code_cells(notebook)]
    if len(sources) > MAX_CODE_CELLS:
        return f"{len(sources):,} code cells, more than {MAX_CODE_CELLS:,}"
    if sum(map(len, sources)) > MAX_CODE_CHARS:
        return f"{sum(map(len, sources)):,} characters of code, more than {MAX_CODE_CHARS:,}"
    return None


def known_lessons(root: Path) -> list[str]:
    """The lessons with a handed-out notebook notebooks/<lesson>/<lesson>.ipynb."""
    return sorted(p.name for p in (root / "notebooks").glob("*") if (p / f"{p.name}.ipynb").is_file())


def fresh_folder(out: Path) -> None:
    """Empty `out` of a previous report, refusing a folder that this module did not make."""
    if out.exists() and any(out.iterdir()) and not (out / MARK).is_file():
        raise ValueError(f"{out} holds files that are not a similarity report: choose another folder")
    for name in ("code", "boilerplate", "public"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("code", "boilerplate", "public"):
        (out / name).mkdir(parents=True)
    (out / MARK).write_text("made by coursetools/similarity.py; replaced on each run\n")


def spreadsheet_text(value: object) -> object:
    """A value for pairs.csv: a name that a spreadsheet would run as a formula (=, +, -, @) gets a leading '."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def side(code: str, slices: np.ndarray | None, colour: str) -> str:
    """A student's code as escaped HTML, the parts shared with the other of the pair highlighted."""
    if slices is None or slices.size == 0:
        return html.escape(code)
    return highlight_overlap(code, slices, f"<mark class='{colour}'>", "</mark>", escape_html=True)[0]


def page(lesson: str, count: int, pairs: list[dict], shown: list[str], skipped: list[tuple[str, str]],
         public: bool) -> str:
    """The report: the note, the lesson, the number of submissions, and the top pairs' code side by side."""
    e = html.escape
    label = public_label(lesson)
    head = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Similarity: {e(lesson)}</title>\n<style>body{{font-family:sans-serif;margin:2em}}"
            ".note{border:2px solid #c60;background:#fff4e5;padding:.8em 1em;max-width:60em}"
            "table{border-collapse:collapse}th,td{padding:.2em .8em;border-bottom:1px solid #ccc;text-align:left}"
            ".pair{display:flex;gap:1em}.pair>div{flex:1;min-width:0}pre{background:#f6f6f6;padding:.5em;"
            "overflow-x:auto}mark.a{background:#fbb}mark.b{background:#bfb}.public{font-style:italic}</style>"
            "</head><body>\n")
    against = (f"Each submission is also compared with the lesson's public solution, solutions/{lesson}, in the rows "
               f"named <span class=\"public\">{e(label)}</span>: a submission that handed it in or copied from it "
               "ranks high there, but answers that follow the lesson's hints resemble it too." if public else
               f"There is no public solution solutions/{lesson}/{lesson}.ipynb to compare the submissions with.")
    body = [f"<p class=\"note\"><strong>{e(NOTE)}</strong></p>",
            f"<h1>Similarity of the code students wrote: {e(lesson)}</h1>",
            f"<p>{count} submissions, {len(pairs)} pairs. All the code of each submission is compared, every code "
            "cell, minus what was handed out (the released notebook's statements, wherever a student keeps them, "
            "however reformatted); statements that do nothing (<code>pass</code>, a bare name, constant or "
            "docstring, <code>x = x</code>) are dropped and names are replaced before comparing, so that renamed, "
            f"moved or padded copies still match. {against} Every pair is in <a href=\"pairs.csv\">pairs.csv</a>; "
            f"the top {len(shown)}, with the shared code highlighted:</p>"]
    if not pairs:
        body.append("<p>Nothing to compare: fewer than two readable submissions.</p>")
    if skipped:
        body.append("<p>Skipped, look at these by hand: "
                    + e("; ".join(f"{student} ({reason})" for student, reason in skipped)) + "</p>")
    body.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in COLUMNS) + "</tr>")
    body += ["<tr>" + "".join(f"<td>{e(str(row[c]))}</td>" for c in COLUMNS) + "</tr>" for row in pairs[:len(shown)]]
    body.append("</table>")
    for row, block in zip(pairs, shown):
        body.append(f"<h2>{row['rank']}. {e(row['student_a'])} and {e(row['student_b'])}: {row['similarity']}</h2>")
        body.append(block)
    return head + "\n".join(body) + "\n</body></html>\n"


def printable(name: str) -> str:
    """`name` as UTF-8 text can show it: a folder name's bytes that are not UTF-8 replaced."""
    try:
        raw = name.encode("utf-8", "surrogateescape")  # the folder name's own bytes
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def own_code(notebook: Path, given: set[str]) -> str:
    """All the code of its own in a submitted notebook; ValueError saying why it cannot be compared."""
    submitted = read_submission(notebook)
    if reason := too_much(submitted):
        raise ValueError(reason)
    return notebook_code(submitted, given)


RUNS_BUILT_CODE = {"exec", "eval", "compile", "__import__"}  # called by name (model.compile is Keras's)
DECODES = {"b64decode", "b85decode", "a85decode", "decompress", "fromhex", "unhexlify"}  # called as attributes


def builds_code(code: str) -> bool:
    """Whether `code` calls what runs or decodes code built at run time (exec, eval, base64, zlib, marshal), which
    hides whatever it runs from any comparison of the code itself."""
    tree = parsed(code)
    calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)] if tree else []
    return any(isinstance(f, ast.Name) and f.id in RUNS_BUILT_CODE or isinstance(f, ast.Attribute) and f.attr in DECODES
               for f in calls)


def gather(root: Path, lesson: str, out: Path, given: set[str]) -> tuple[dict[str, Path], list[tuple[str, str]]]:
    """Write each readable submission's own code to out/code/<student>.py: {student: file}, and (student, reason)
    for those skipped."""
    files: dict[str, Path] = {}
    skipped: list[tuple[str, str]] = []
    for notebook in sorted(root.glob(f"submitted/*/{lesson}/{lesson}.ipynb")):
        student = notebook.parent.parent.name
        try:
            if printable(student) != student:
                raise ValueError("its folder name is not UTF-8")
            path = out / "code" / f"{student}.py"
            path.write_text(own_code(notebook, given), encoding="utf-8")
            if builds_code(path.read_text(encoding="utf-8")):  # compared too, but what it runs is not in its code
                skipped.append((printable(student), "compared, but it runs code it builds at run time (exec, eval, "
                                "base64...), which no comparison can see: read it by hand"))
        except ValueError as error:
            skipped.append((printable(student), str(error)))
        except Exception as error:  # one submission's failure costs only its author its place in the report
            skipped.append((printable(student), f"could not be compared ({type(error).__name__})"))
        else:
            files[student] = path
    return files, skipped


def compare(files: dict[str, Path], boilerplate: Path) -> CopyDetector:
    """copydetect run over `files`, in their order (its matrices are indexed so), every one against every other."""
    detector = CopyDetector(boilerplate_dirs=[str(boilerplate)], extensions=["py"], noise_t=NOISE_T,
                            guarantee_t=GUARANTEE_T, autoopen=False, silent=True,
                            out_file=str(boilerplate.parent / "report.html"))
    for path in files.values():
        detector.add_file(str(path))
    detector.run()
    return detector


def ranked(detector: CopyDetector, names: list[str], public: str | None) -> list[dict]:
    """Every pair of `names` (the public solution's rows: each student with it), ranked by similarity."""
    index = {name: i for i, name in enumerate(names)}
    students = [name for name in names if name != public]
    pairs = list(itertools.combinations(students, 2)) + [(student, public) for student in students if public]
    rows = []
    for a, b in pairs:
        sim_a, sim_b = detector.similarity_matrix[index[a], index[b]]
        rows.append({"student_a": a, "student_b": b, "similarity": round(float(max(sim_a, sim_b)), 3),
                     "similarity_a": round(float(sim_a), 3), "similarity_b": round(float(sim_b), 3),
                     "shared_tokens": int(max(detector.token_overlap_matrix[index[a], index[b]], 0))})
    rows.sort(key=lambda r: (-r["similarity"], -r["shared_tokens"], r["student_a"], r["student_b"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


def shown_pair(detector: CopyDetector, files: dict[str, Path], row: dict) -> str:
    """A pair's code side by side as HTML, what they share highlighted."""
    fa, fb = (str(files[row[k]]) for k in ("student_a", "student_b"))
    if (fa, fb) in detector.slice_matrix:  # copydetect keeps a compared pair's shared parts in one order
        slices = detector.slice_matrix[(fa, fb)]
    else:
        slices = detector.slice_matrix.get((fb, fa), [None, None])[::-1]
    return "<div class=\"pair\">" + "".join(
        f"<div><h3>{html.escape(row[k])}</h3><pre>{side(detector.file_data[f].raw_code, s, c)}</pre></div>"
        for k, f, s, c in (("student_a", fa, slices[0], "a"), ("student_b", fb, slices[1], "b"))) + "</div>"


def similarity(root: Path, lesson: str, out: Path | None = None, top: int = 50) -> int:
    """Write similarity/<lesson>/report.html and pairs.csv: every pair of lesson's submissions, and each submission
    with the public solution, ranked by how much code of their own they share; 0 on success."""
    root = Path(root)
    release = root / "notebooks" / lesson / f"{lesson}.ipynb"
    if not release.is_file():
        raise KeyError(f"unknown lesson {lesson!r}: no {release.relative_to(root)}; "
                       f"known lessons: {', '.join(known_lessons(root)) or 'none'}")
    if not any(root.glob(f"submitted/*/{lesson}/{lesson}.ipynb")):
        raise FileNotFoundError(f"no submissions of {lesson}: expected submitted/<student>/{lesson}/{lesson}.ipynb "
                                f"under {root}")
    out = Path(out) if out is not None else root / "similarity" / lesson
    fresh_folder(out)
    handed = nbformat.read(release, as_version=4)
    solution_path = root / "solutions" / lesson / f"{lesson}.ipynb"
    solution = nbformat.read(solution_path, as_version=4) if solution_path.is_file() else None
    given = handed_out(handed, solution)
    boilerplate = "\n\n".join(normalised(source) for _, _, source in code_cells(handed))
    (out / "boilerplate" / f"{lesson}.py").write_text(boilerplate + "\n", encoding="utf-8")
    files, skipped = gather(root, lesson, out, given)
    count = len(files)
    public = public_label(lesson) if solution else None
    if public:
        files[public] = out / "public" / f"{lesson}.py"
        files[public].write_text(notebook_code(solution, given, public=True), encoding="utf-8")
    rows: list[dict] = []
    shown: list[str] = []
    if count >= 2 or (count and public):
        detector = compare(files, out / "boilerplate")
        rows = ranked(detector, list(files), public)
        shown = [shown_pair(detector, files, row) for row in rows[:top]]
    with open(out / "pairs.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({key: spreadsheet_text(value) for key, value in row.items()} for row in rows)
    (out / "report.html").write_text(page(lesson, count, rows, shown, skipped, public is not None), encoding="utf-8")
    if skipped:
        print(f"skipped {len(skipped)} submissions of {lesson}, look at them by hand: "
              + "; ".join(f"{student} ({reason})" for student, reason in skipped))
    if not public:
        print(f"no public solution {solution_path.relative_to(root)}: the submissions are compared only with one "
              "another")
    if not rows:
        print(f"nothing to compare: {count} readable submission of {lesson}; wrote {out / 'pairs.csv'} "
              "(header only)")
        return 0
    print(f"wrote {out / 'report.html'} and pairs.csv: {count} submissions, {len(rows)} pairs; "
          f"top pair {rows[0]['student_a']} and {rows[0]['student_b']} at similarity {rows[0]['similarity']}")
    return 0
