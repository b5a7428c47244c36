"""What a student wrote, made safe for the pages the instructor and the students open (feedback pages, the leaderboard).

Everything below a page's <head> may hold what a student wrote: markdown cells, code, what the kernel printed, names.
It goes through bleach (nbconvert's own sanitizer library) with an allowlist of the tags and attributes that formatted
text, tables, highlighted code and nbgrader's score panels need. A tag outside it is shown as text (a <script> reads as
"<script>..." on the page, so the instructor sees what was tried); an attribute outside it is dropped (onerror=...,
a javascript: or data: link). `active_content` then checks the result, so that a page with anything that could run is
refused rather than written, whatever a later change to the allowlist lets through.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import bleach
from bleach.css_sanitizer import ALLOWED_CSS_PROPERTIES, CSSSanitizer

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "main", "mark", "ol",
    "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul", "var",
})
# `style` only through bleach's CSS sanitizer (colours, alignment: no position, no url()).
ATTRIBUTES = {"*": ["class", "id", "title", "lang", "dir"], "a": ["href", "name", "title"],
              "img": ["src", "alt", "title", "width", "height"], "span": ["style"], "div": ["style"], "p": ["style"],
              "td": ["colspan", "rowspan", "align", "style"], "th": ["colspan", "rowspan", "align", "style"],
              "tr": ["style"], "ol": ["start"]}
PROTOCOLS = frozenset({"http", "https", "mailto", "data"})  # data: only for an image's own pixels (allowed below)
REMOTE = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//)", re.I)  # a URL with a scheme, or protocol-relative
IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.I)
# An id or name of the page's only script (MathJax, which typesets $...$) would shadow its globals (DOM clobbering).
SCRIPT_NAMES = re.compile(r"mathjax", re.I)
CELL = re.compile(r'<div\b[^>]*\bclass="cell\b')  # each cell of nbconvert's classic template, which the feedback uses
SANITIZED_BODY = '<body data-sanitized="coursetools.pages">'
FRAME = re.compile(r"</?(html|body)\b[^>]*>", re.I)  # the template's (and any other) <body>, </body>, </html>
EVENT = re.compile(r"^on", re.I)
ACTIVE_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.I)
ACTIVE_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
                         "button", "textarea", "select", "base", "link", "meta", "style", "svg", "math", "template"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "srcdoc", "data", "poster"})


def allowed(tag: str, name: str, value: str) -> bool:
    """Whether attribute `name`="`value`" of `tag` may stay (on top of the lists above)."""
    if name not in ATTRIBUTES.get(tag, []) and name not in ATTRIBUTES["*"]:
        return False
    if name in ("id", "name") and SCRIPT_NAMES.search(value):
        return False
    if name in ("href", "src") and value.strip().lower().startswith("data:"):
        return tag == "img" and name == "src" and bool(IMAGE_DATA.fullmatch(value.strip()))
    if tag == "img" and name == "src":  # an image from elsewhere would tell its server who opened the page, and when
        return not REMOTE.match(value)
    return True


def sanitize_fragment(text: str) -> str:
    """`text` (HTML a student may have written or named) with nothing left that a browser would run."""
    return bleach.clean(text, tags=TAGS, attributes=allowed, protocols=PROTOCOLS, strip=False, strip_comments=True,
                        css_sanitizer=CSSSanitizer(allowed_css_properties=ALLOWED_CSS_PROPERTIES))


def sanitize_page(page: str) -> str:
    """A whole rendered page: its <head> (the template's own styles and MathJax) kept, everything after it sanitized,
    in a <body> marked as such (SANITIZED_BODY)."""
    head, end, rest = page.partition("</head>")
    if not end:
        raise ValueError("the rendered page has no </head>: its template is not the one this course renders with")
    body = sanitize_fragment(FRAME.sub("", rest))
    before, after = len(CELL.findall(rest)), len(CELL.findall(body))
    if after < before:  # markup a student wrote (an unclosed <table> in foreign content, say) swallowed other cells
        raise ValueError(f"sanitizing left {after} of the page's {before} cells: a markdown cell's HTML breaks the "
                         "page's structure; look at that submission's markdown by hand")
    return f"{head}</head>\n{SANITIZED_BODY}\n{body}\n</body>\n</html>\n"


def is_sanitized(page: str) -> bool:
    """Whether `page` came out of `sanitize_page` (its body begins with SANITIZED_BODY, where nothing a student wrote
    can be in a page rendered without it) and holds nothing that could run."""
    rest = page.partition("</head>")[2]
    return rest.startswith(f"\n{SANITIZED_BODY}\n") and not active_content(rest)


class ActiveContent(HTMLParser):
    """Collects what a browser could run in a piece of HTML: script-like tags, event handlers, active URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if EVENT.match(name):
                self.found.append(f"<{tag} {name}=...>")
            elif name in URL_ATTRIBUTES and value and ACTIVE_URL.match(value) and not (
                    tag == "img" and name == "src" and IMAGE_DATA.fullmatch(value.strip())):
                self.found.append(f"<{tag} {name}={value[:30]}...>")
            elif name == "style" and value and re.search(r"url\s*\(|expression\s*\(", value, re.I):
                self.found.append(f"<{tag} style=...url()>")

    handle_startendtag = handle_starttag


def active_content(html_text: str) -> list[str]:
    """Every script, event handler, javascript:/data: URL or embedding tag in `html_text` (empty: nothing can run)."""
    parser = ActiveContent()
    parser.feed(html_text)
    parser.close()
    return parser.found


def body_of(page: str) -> str:
    """What follows a page's </head> (all of it, for a page without one)."""
    return page.partition("</head>")[2] or page
