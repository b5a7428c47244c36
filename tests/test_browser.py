"""The course in a real browser: JupyterLab, started as `make lab` starts it, driven by Playwright in Debian's
chromium, as a student runs and validates the lessons and as an instructor opens the formgrader. Screenshots of what
each test checks go to tests/browser-pictures/; a failing test adds one, with the server's log, in failed/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from lab_browser import (
    CHROMIUM, INSTALL, LAUNCH_ARGS, PICTURES, course_copy, keep_evidence, kernel_display_name, lab_server, menu,
    open_in_file_browser, open_lab, run_all_and_wait, save, shut_down_sessions, wait_for_kernel,
)
from notebook_tools import ASSIGNMENTS, fill_in, source_path, student_path

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"CI needs Debian's chromium for the browser tests; .ci/run installs it with: {INSTALL}",
                    pytrace=False)
    pytest.skip(f"the browser tests need Debian's chromium: {INSTALL}", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A fresh copy of the course, with blank and solved copies of every lesson in work/, served by `make lab`."""
    shutil.rmtree(PICTURES / "failed", ignore_errors=True)  # what the last run's failures left
    course = course_copy(tmp_path_factory.mktemp("browser-course"))
    for lesson in ASSIGNMENTS:
        (course / "work").mkdir(exist_ok=True)
        blank = nbformat.read(student_path(lesson), as_version=4)
        nbformat.write(blank, course / "work" / f"{lesson}.ipynb")
        solved = fill_in(blank, nbformat.read(source_path(lesson), as_version=4))
        nbformat.write(solved, course / "work" / f"{lesson}-solved.ipynb")
    with lab_server(course, tmp_path_factory.mktemp("browser-private")) as (base, log):
        yield course, base, log


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server_log(lab) -> Path:
    """The module's server log, which a failing test keeps beside its screenshot."""
    return lab[2]


@pytest.fixture(autouse=True)
def no_session_left(lab):
    """Each test starts with no kernel running on the module's server."""
    yield
    shut_down_sessions(lab[1])


@pytest.fixture
def page(browser, server_log, request):
    """A new page in a new browser context; a failing test leaves a screenshot and the server log in failed/."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        keep_evidence(page, server_log, request.node.name)
    context.close()


def picture(page, name: str) -> None:
    """A full-page screenshot of what the test checks now."""
    PICTURES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=PICTURES / f"{name}.png", full_page=True)


def outputs(nb: dict) -> list[tuple[int, dict]]:
    """(cell index, output) of every output of the notebook's code cells, in order."""
    return [(i, o) for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code" for o in cell.get("outputs", [])]


def is_trouble(output: dict) -> bool:
    """Whether an output is an error or text on stderr (the TensorFlow banner included)."""
    return output["output_type"] == "error" or output.get("name") == "stderr"


def open_notebook(page, base: str, name: str) -> str:
    """Open work/`name` from the file browser in a fresh layout; the kernel name shown, once the kernel is idle."""
    open_lab(page, base)
    open_in_file_browser(page, "work", name)
    return wait_for_kernel(page, kernel_display_name())


@pytest.mark.parametrize("lesson", ASSIGNMENTS)
def test_a_blank_lesson_runs_in_the_course_kernel_and_stops_at_gap_1(page, lab, lesson):
    course, base, _ = lab
    assert open_notebook(page, base, f"{lesson}.ipynb") == kernel_display_name()
    run_all_and_wait(page)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type="
                 "'application/vnd.jupyter.stderr']").first.scroll_into_view_if_needed()
    picture(page, f"{lesson}-blank-run")
    nb = save(page, course / "work" / f"{lesson}.ipynb")
    index, first = next(((i, o) for i, o in outputs(nb) if is_trouble(o)), (None, None))
    assert first is not None, "Run All stopped at no error: the blank notebook should fail at gap 1"
    assert (first.get("ename"), first.get("evalue")) == ("NotImplementedError", "Fill in this gap."), \
        f"the first error or stderr output is not gap 1's NotImplementedError: {first}"
    grade_id = nb["cells"][index]["metadata"].get("nbgrader", {}).get("grade_id", "")
    assert "gap1" in grade_id, f"Run All stopped in {grade_id or 'a cell without a gap'}, not at gap 1 or its check"


@pytest.mark.parametrize("lesson", ASSIGNMENTS)
def test_a_solved_lesson_runs_without_an_error_and_shows_every_plot(page, lab, lesson):
    course, base, _ = lab
    assert open_notebook(page, base, f"{lesson}-solved.ipynb") == kernel_display_name()
    run_all_and_wait(page, timeout=400)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img").first.scroll_into_view_if_needed()
    picture(page, f"{lesson}-solved-run")
    nb = save(page, course / "work" / f"{lesson}-solved.ipynb")
    trouble = [(i, o.get("ename") or o.get("text", "")[:200]) for i, o in outputs(nb) if is_trouble(o)]
    assert not trouble, f"errors or stderr output: {trouble}"
    unrun = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and c["execution_count"] is None]
    assert not unrun, f"cells that did not run: {unrun}"
    images = sum("image/png" in o.get("data", {}) for _, o in outputs(nb))
    unrendered = [i for i, o in outputs(nb) if "<Figure size" in o.get("data", {}).get("text/plain", "")
                  and "image/png" not in o.get("data", {})]
    assert images and not unrendered, f"{images} images; figures shown as text only in cells {unrendered}"
    shown = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img").count()
    assert shown == images, f"the notebook holds {images} images, the page shows {shown}"


def validation_dialog(page, base: str, name: str) -> str:
    """Click the toolbar's Validate on work/`name`; the text of the "Validation Results" dialog."""
    open_notebook(page, base, name)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar").get_by_text("Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=300_000)
    return dialog.inner_text()


def test_validate_names_the_failing_cells_of_a_blank_notebook_with_their_messages(page, lab):
    _, base, _ = lab
    text = validation_dialog(page, base, "lesson1_basics.ipynb")
    picture(page, "lesson1_basics-validate-blank")
    graded = [c for c in nbformat.read(student_path("lesson1_basics"), as_version=4).cells
              if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]
    assert text.count("The following cell failed:") == len(graded), "every graded cell fails on the blank notebook"
    for cell in graded:
        assert cell.source.splitlines()[0] in text, f"the dialog should show the failing cell {cell.source[:60]!r}"
    assert "NameError" in text and "genre" in text, "and each cell's error"


def test_validate_reports_success_on_a_solved_notebook(page, lab):
    _, base, _ = lab
    text = validation_dialog(page, base, "lesson1_basics-solved.ipynb")
    picture(page, "lesson1_basics-validate-solved")
    assert "Success! Your notebook passes all the tests." in text, text[:2000]


def test_the_nbgrader_menu_opens_the_formgrader_listing_the_released_lessons(page, lab):
    course, base, _ = lab
    subprocess.run([sys.executable, "-m", "coursetools", "--root", str(course), "release"], cwd=ROOT, check=True,
                   capture_output=True)
    open_lab(page, base)
    menu(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator("iframe").first
    for lesson in ASSIGNMENTS:
        frame.locator("td", has_text=lesson).first.wait_for(timeout=60_000)
    picture(page, "formgrader")


EVIDENCE = '''import pytest
from test_browser import browser, page  # the fixtures under test


@pytest.fixture
def server_log(tmp_path):
    (tmp_path / "lab.log").write_text("the server's last words")
    return tmp_path / "lab.log"


def test_fails(page):
    page.set_content("<h1>the page at the moment of failure</h1>")
    assert False, "on purpose"


def test_passes(page):
    page.set_content("<h1>nothing to keep</h1>")
'''


def test_a_failing_browser_test_leaves_a_screenshot_and_the_server_log(tmp_path):
    (tmp_path / "test_evidence.py").write_text(EVIDENCE)
    pictures = tmp_path / "pictures"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"), BROWSER_PICTURES=str(pictures))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "lab_browser",
                             "test_evidence.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "1 failed, 1 passed" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]
    kept = sorted(p.name for p in (pictures / "failed").glob("*"))
    assert kept == ["test_fails.log", "test_fails.png"], f"failed/ holds {kept}"
    assert (pictures / "failed" / "test_fails.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (pictures / "failed" / "test_fails.log").read_text() == "the server's last words"
