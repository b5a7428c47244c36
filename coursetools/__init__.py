"""The instructor's tools for this course: student notebooks, the student bundle and the nbgrader cycle."""

import sys

# jsonschema, which nbgrader imports through nbformat, checks the "iri" formats
# with rfc3987-syntax when it is installed, and that package compiles an Earley
# grammar on import: 2.3 s of every grading process. No schema nbgrader or
# nbformat validates uses those formats, so the tools go without it.
sys.modules.setdefault("rfc3987_syntax", None)
