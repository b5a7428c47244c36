"""How nbgrader's generate_feedback renders a page here (nbgrader_config.py wires these in): markdown cells cut to a
size that renders in a moment, and every page sanitized (coursetools/pages.py) before nbgrader writes it, whichever
command made it (make feedback, the formgrader's button, a plain `nbgrader generate_feedback`)."""

from __future__ import annotations

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Float, Integer
from traitlets.config import Configurable

from coursetools.pages import active_content, body_of, sanitize_page


class FeedbackPages(Configurable):
    """The feedback pages' limits (c.FeedbackPages.... in nbgrader_config.py)."""

    markdown_chars = Integer(20_000, min=100, help="characters of a markdown cell shown on a feedback page; the rest "
                             "is left out, and the page says how much (nbconvert's rendering of a cell can take time "
                             "that grows with the square of its length: 20,000 characters up to 2 s, 100,000 over "
                             "a minute)").tag(config=True)
    markdown_chars_per_page = Integer(200_000, min=100, help="characters of all the markdown cells of a page together; "
                                      "past them, each further cell is left out, with a line that says so"
                                      ).tag(config=True)
    timeout = Float(600.0, min=0.1, help="seconds that `make feedback`'s run of generate_feedback for one lesson may "
                    "take; past it, each page not rendered yet is tried once more on its own, with this much time "
                    "each, and a page that still does not render is reported as failed").tag(config=True)


def cut(source: str, limit: int, rule: str = "") -> str:
    """A markdown cell's `source` cut to `limit` characters, with a line that says what was left out (and `rule`, the
    limit that cut it)."""
    if len(source) <= limit:
        return source
    left_out = len(source) - limit
    return (source[:limit] + f"\n\n---\n\n**[Feedback page: the last {left_out:,} of this cell's {len(source):,} "
            f"characters are left out here{rule}; your notebook has them all.]**\n")


class CutLongMarkdown(Preprocessor):
    """Cut each markdown (and raw) cell to c.FeedbackPages.markdown_chars characters, and all of them together to
    markdown_chars_per_page, before nbconvert renders them."""

    # nbgrader registers its converters' preprocessors without enabling them; nbconvert's are disabled by default.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        limits = FeedbackPages(config=self.config)
        rule = (f" (a page shows {limits.markdown_chars:,} characters of a cell, "
                f"{limits.markdown_chars_per_page:,} of all its markdown)")
        left = limits.markdown_chars_per_page
        for cell in nb.cells:
            if cell.cell_type in ("markdown", "raw"):
                limit = min(limits.markdown_chars, left)
                left -= min(len(cell.source), limit)
                cell.source = cut(cell.source, limit, rule)
        return nb, resources


class UnsafePage(Exception):
    """A rendered page that still held something a browser could run after it was sanitized."""


class SafeFeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter, whose every page is sanitized before it is written (and refused if anything that
    could run is left in it)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        page = sanitize_page(output)
        found = active_content(body_of(page))
        if found:
            raise UnsafePage(f"the sanitized page still holds {', '.join(found[:5])}: not written")
        return page, resources
