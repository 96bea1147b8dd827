"""Minutes written in Markdown, shown as HTML that cannot carry a script.

The text goes through Python-Markdown, then through nh3 (the Rust ``ammonia`` sanitiser),
which keeps only a small set of tags and attributes: whatever HTML a person typed (or an
import brought) in the Markdown, no script, event handler, style, image or ``javascript:``
link comes out. Headings are moved down two levels (``#`` becomes ``<h3>``) because the
minutes sit under the page's own ``<h1>`` and section ``<h2>`` (none deeper than ``<h4>``).
"""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "blockquote",
    "a",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
HEADING_SHIFT = 2
DEEPEST_HEADING = 4


class _ShiftHeadings(Treeprocessor):
    def run(self, root):
        for element in root.iter():
            if len(element.tag) == 2 and element.tag[0] == "h" and element.tag[1].isdigit():
                level = min(int(element.tag[1]) + HEADING_SHIFT, DEEPEST_HEADING)
                element.tag = f"h{level}"


class _ShiftHeadingsExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 5)


def _markdown(text: str) -> str:
    return markdown.markdown(
        text,
        extensions=["tables", "sane_lists", "nl2br", _ShiftHeadingsExtension()],
        output_format="html",
    )


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_markdown(text: str | None) -> SafeString:
    """The Markdown text as sanitised HTML, safe to put in a page as it is."""
    if not text:
        return mark_safe("")
    return mark_safe(sanitise(_markdown(str(text))))  # noqa: S308 (sanitised by nh3 above)
