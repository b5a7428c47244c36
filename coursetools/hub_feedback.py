"""nbgrader's release_feedback for this course. nbgrader's own reads each submission's timestamp and exchange secret
from beside its feedback page, but the feedback folder here holds nothing but the pages (nbgrader_config.py): this one
releases from a private staging copy that puts the two files from autograded/<student>/<lesson>/ beside each page."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

BESIDE = ("timestamp.txt", "submission_secret.txt")


class ReleaseFeedbackFromAutograded(ExchangeReleaseFeedback):
    """Release each feedback page to the exchange, with the timestamp and secret of its autograded submission."""

    def init_src(self):
        coursedir = self.coursedir
        feedback = Path(coursedir.format_path(coursedir.feedback_directory, ".", ".")).resolve()
        autograded = Path(coursedir.format_path(coursedir.autograded_directory, ".", ".")).resolve()
        self.staging = Path(tempfile.mkdtemp(prefix="release-feedback-", dir=coursedir.root))
        for page in feedback.glob(f"*/{coursedir.assignment_id}/*.html"):
            folder = page.parent.relative_to(feedback)
            (self.staging / folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(page, self.staging / folder / page.name)
            for name in BESIDE:
                if (autograded / folder / name).is_file():
                    shutil.copy(autograded / folder / name, self.staging / folder / name)
        coursedir.feedback_directory = str(self.staging)
        super().init_src()

    def copy_files(self):
        try:
            super().copy_files()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
