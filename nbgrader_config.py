"""nbgrader configuration for the course (loaded by every nbgrader command run here)."""

from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "recsys-course"
# Hand-written solution notebooks are nbgrader's "source"; the student
# notebooks it generates from them are the "release".
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
# The gradebook lives in the course root; it is git-ignored and no target deletes it.
c.CourseDirectory.db_url = f"sqlite:///{COURSE_ROOT / 'gradebook.db'}"
# `helpers` is installed in the venv. A copy handed in with a submission is not
# copied for grading, so it cannot shadow the installed package.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "helpers", "*.py"]

# Each solution region becomes this stub in the student notebook.
c.ClearSolutions.code_stub = {
    "python": '### implement here\nraise NotImplementedError("Fill in this gap.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The slowest solution cell (the TensorFlow import) takes about 5 s on 2 cores
# and a whole lesson about 20 s. 60 s per cell leaves a wide margin; a runaway
# cell is interrupted, scored 0, and grading goes on with the next cell.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# Students re-submitting a notebook with a graded cell deleted get it back.
c.OverwriteCells.add_missing_cells = True


class ClearHiddenTestsAndTracebacks(ClearHiddenTests):
    """Remove hidden tests from feedback, and the tracebacks that would quote them."""

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


# nbgrader's feedback shows hidden tests by default; this list leaves them out.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTestsAndTracebacks]
