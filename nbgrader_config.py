"""nbgrader configuration for the course (loaded by every nbgrader command run here)."""

from pathlib import Path

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "recsys-course"
# Hand-written solution notebooks are nbgrader's "source"; the student
# notebooks it generates from them are the "release".
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = f"sqlite:///{COURSE_ROOT / 'gradebook.db'}"

# Each solution region becomes this stub in the student notebook.
c.ClearSolutions.code_stub = {
    "python": '### implement here\nraise NotImplementedError("Fill in this gap.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The slowest solution cell (training) takes about 5 s on 2 cores; 120 s leaves
# room for slow machines and still stops a runaway cell.
c.ExecutePreprocessor.timeout = 120
