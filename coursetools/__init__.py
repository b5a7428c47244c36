"""The instructor's tools for this course: student notebooks, the student bundle and the nbgrader cycle."""
