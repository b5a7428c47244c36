"""nbgrader configuration for the course (loaded by every nbgrader command run here)."""

import os
import re
import shutil
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbformat import NotebookNode
from nbgrader.converters import GenerateFeedback
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, ClearOutput, DeduplicateIds, Execute, GetGrades,
    IgnorePattern, LimitOutput, OverwriteKernelspec, SaveAutoGrades,
)
from traitlets import List

from coursetools import sandbox
from coursetools.changed_lessons import ForgetRemovedCells
from coursetools.feedback_render import CutLongMarkdown, SafeFeedbackExporter
from coursetools.grader_runs import run_after
from coursetools.trusted import VerifyExports
from helpers.exports import FOLDER as EXPORTS
from helpers.exports import INPUTS

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "recsys-course"
# Hand-written solution notebooks are nbgrader's "source"; the student
# notebooks it generates from them are the "release".
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
# The gradebook lives in the course root; it is git-ignored and no target deletes it. Graders running
# side by side (make autograde JOBS=N) wait up to 60 s for one another's writes instead of failing.
# NBGRADER_DB_URL, if set, points every command at another database instead, for example a PostgreSQL
# gradebook shared by several graders: postgresql+psycopg://USER:PASSWORD@HOST:5432/gradebook
c.CourseDirectory.db_url = (os.environ.get("NBGRADER_DB_URL")
                            or f"sqlite:///{COURSE_ROOT / 'gradebook.db'}?timeout=60")
# `helpers` is installed in the venv. A copy handed in with a submission is not
# copied for grading, so it cannot shadow the installed package.
# Nor are exports or grader's inputs: only the grader writes those, during grading.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "helpers", "*.py", EXPORTS, INPUTS]

# On a JupyterHub, students fetch and submit from JupyterLab's Assignments tab through nbgrader's exchange, a folder
# that every user of the hub can reach (the README's "On a JupyterHub" says how to set it up); `make collect LESSON=...`
# without ZIP takes what they submitted, and `nbgrader release_feedback LESSON` hands back the pages.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.ExchangeFactory.release_feedback = "coursetools.hub_feedback.ReleaseFeedbackFromAutograded"
c.ExchangeFactory.collect = "coursetools.exchange_collect.CollectFromTheExchange"  # by owner and file time, no link

# Each solution region becomes this stub in the student notebook.
c.ClearSolutions.code_stub = {
    "python": '### implement here\nraise NotImplementedError("Fill in this gap.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# What students get too (the Validate button reads it in their copy): the
# validator's line width and the 60 s per cell (Execute.timeout).
STUDENT_CONFIG = COURSE_ROOT / "bundle" / "nbgrader_config.py"
if not STUDENT_CONFIG.is_file():  # load_subconfig would skip a missing file without a word
    raise FileNotFoundError(f"the course's nbgrader settings need {STUDENT_CONFIG}")
load_subconfig(str(STUDENT_CONFIG))  # noqa: F821
# The slowest solution cell takes about 20 s on 2 cores. A runaway cell is
# interrupted, scored 0, and grading goes on with the next cell.
c.ExecutePreprocessor.timeout = c.Execute.timeout
c.Execute.interrupt_on_timeout = True
# Grading kernels run in the sandbox (coursetools/sandbox.py), which shows them nothing of the course folder but the
# venv, the helpers and their own submission; caps: GRADING_MEMORY_GB and the others in sandbox.Caps.
c.SandboxedKernelManager.course_root = str(COURSE_ROOT)
# Students re-submitting a notebook with a graded cell deleted get it back.
c.OverwriteCells.add_missing_cells = True


def failed_line(output) -> int | None:
    """The line of the cell where an error output's traceback starts ("Cell In[5], line 12"), if shown."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(output.get("traceback", [])))
    found = re.search(r"Cell In\[\d+\], line (\d+)", text)
    return int(found.group(1)) if found else None


MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
ERROR_CHARS, PRINTED_CHARS = 600, 300  # of each message and of what a graded cell printed, on a feedback page


def hidden_lines(source: str) -> range:
    """The line numbers (1-based) between a cell's BEGIN and END HIDDEN TESTS markers."""
    lines = source.splitlines()
    begin = next((i for i, line in enumerate(lines, 1) if "### BEGIN HIDDEN TESTS" in line), None)
    end = next((i for i, line in enumerate(lines, 1) if "### END HIDDEN TESTS" in line), None)
    return range(begin + 1, end) if begin and end else range(0)


class ClearHiddenTestsAndTracebacks(ClearHiddenTests):
    """Remove hidden tests from feedback, and the tracebacks that would quote them; say which messages came from a hidden check."""

    # nbgrader's base preprocessor re-declares this nbconvert trait without config=True,
    # so the HTML exporter's setting for it drew a "Config option `display_data_priority`
    # not recognized" warning on every feedback run. GetGrades declares it like this.
    display_data_priority = List(GetGrades.display_data_priority.default_value, config=True)

    def preprocess(self, nb, resources):
        # Code in the kernel can print any cell's source as it runs (an IPython hook): no line of a hidden part, and
        # no marker of one, is shown in what the page keeps of a graded cell's printout. (They only export.)
        self.hidden_text = {line.strip() for cell in nb.cells if cell.cell_type == "code"
                            for number, line in enumerate(cell.source.splitlines(), 1)
                            if number in hidden_lines(cell.source) and len(line.strip()) > 3} | set(MARKERS)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        hidden = hidden_lines(cell.source) if cell.cell_type == "code" else range(0)
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    origin = " (from a hidden check)" if failed_line(output) in hidden else ""
                    output.traceback = [f"{output.ename}: {output.evalue}{origin}"]
        cell.outputs = self.kept(cell) if cell.cell_type == "code" else []
        return cell, resources

    def kept(self, cell) -> list:
        """What the page shows of a cell's outputs: a graded cell's messages, each cut short, and nothing else. Code
        in the kernel could print anything the grader handed it (lesson 3's hidden training listens, say) into any
        output, plots included; the student has the notebook's own outputs in their copy."""
        if not cell.metadata.get("nbgrader", {}).get("grade"):
            return []
        outputs = [o for o in cell.get("outputs", []) if o.output_type == "error"][:2]
        for output in outputs:
            output.evalue = output.evalue[:ERROR_CHARS]
            output.traceback = [line[:ERROR_CHARS] for line in output.traceback[:1]]
        printed = self.scrubbed("".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream"))
        if printed.strip():
            cut = printed if len(printed) <= PRINTED_CHARS else printed[:PRINTED_CHARS] + " [...]\n"
            outputs.insert(0, NotebookNode(output_type="stream", name="stdout", text=cut))
        return outputs

    def scrubbed(self, text: str) -> str:
        """`text` without the lines that hold a line of a hidden part, or one of its markers."""
        kept = [line for line in text.splitlines(keepends=True) if not any(h in line for h in self.hidden_text)]
        return "".join(kept)


def died(message: str) -> NotebookNode:
    """An error output for a cell that a dead kernel did not run to the end."""
    return NotebookNode(output_type="error", ename="DeadKernelError", evalue=message, traceback=[f"DeadKernelError: {message}"])


class ExecuteThroughADeadKernel(Execute):
    """nbgrader's Execute, with its kernel in the grading sandbox (unless GRADING_SANDBOX=off); and a kernel that dies
    (os._exit, a crash) costs the cells it could not run, which score 0, instead of the whole submission, which nbgrader
    would otherwise drop without a grade."""

    def __init__(self, **kwargs):
        if sandbox.wanted():  # nbgrader's own __init__ would set AsyncKernelManager, whatever the config says
            kwargs.setdefault("kernel_manager_class", sandbox.SandboxedKernelManager)
        super().__init__(**kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self.kernel_died = False
        self.graded = []  # the graded cells run so far
        # What the graded cells export is read back after the run (VerifyExports); none may come with the submission.
        shutil.rmtree(Path(resources["metadata"]["path"]) / EXPORTS, ignore_errors=True)
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if self.kernel_died:
            if cell.cell_type == "code":
                cell.outputs = [died("not run: the kernel died in an earlier cell")]
            return cell, resources
        if index == 0:  # the kernel is ready, no cell has run: its runtime folder takes no more files
            sandbox.lock_runtime(self.km)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
            if cell.metadata.get("nbgrader", {}).get("grade"):
                self.graded.append(cell)  # its export is read at once: no later cell can change it
                sandbox.fetch_export(self.km, cell.metadata.nbgrader["grade_id"], Path(resources["metadata"]["path"]))
            if index == len(self.nb.cells) - 1:  # the lesson's own runs, if it has any, come after the last cell, so
                for graded in self.graded:       # that no cell of the notebook runs after them to print what they saw
                    run_after(self, graded, resources, SOURCE_ROOT, COURSE_ROOT)
            return cell, resources
        except DeadKernelError:
            self.kernel_died = True
            cell.outputs.append(died("the kernel died while running this cell"))
            return cell, resources


# The graded cells that passed in the student's kernel are judged outside it, from what they exported.
SOURCE_ROOT = COURSE_ROOT / c.CourseDirectory.source_directory
c.VerifyExports.source_root = str(SOURCE_ROOT)
c.VerifyExports.course_root = str(COURSE_ROOT)
# A submitted cell that the lesson has lost since is ungraded text, not a crash (coursetools/changed_lessons.py).
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, ForgetRemovedCells,
                                      CheckCellMetadata]
c.Autograde.autograde_preprocessors = [ExecuteThroughADeadKernel, VerifyExports, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# nbgrader's feedback shows hidden tests by default; this list leaves them out. Each markdown cell is cut to
# c.FeedbackPages.markdown_chars, and every page is sanitized before it is written: nothing a student wrote runs in the
# browser that opens it (coursetools/feedback_render.py). `make feedback` gives each lesson c.FeedbackPages.timeout s.
c.GenerateFeedback.preprocessors = [CutLongMarkdown, GetGrades, CSSHTMLHeaderPreprocessor,
                                    ClearHiddenTestsAndTracebacks]
c.GenerateFeedback.exporter_class = SafeFeedbackExporter
c.FeedbackPages.markdown_chars = 20_000  # of each markdown cell; the page says what was left out
c.FeedbackPages.markdown_chars_per_page = 200_000
c.FeedbackPages.timeout = 600.0


def only_the_page(self, assignment_id: str, student_id: str) -> None:
    """nbgrader's feedback copies every other file of the autograded folder beside the page; nothing but the page
    goes back to a student here (not a file the kernel wrote, not an export, not the submission's timestamp)."""


GenerateFeedback.init_assignment = only_the_page

# The learning platform the class hands in through: make roster reads its class list, make collect its download,
# make grades FORMAT=... and make feedback write what it imports. "canvas" or "moodle"; for another, see
# coursetools/platforms.py.
c.LearningPlatform.name = "canvas"
c.ZipCollectApp.extractor_plugin = "coursetools.archives.UnpackWithLimits"  # a bad archive fails only its owner
