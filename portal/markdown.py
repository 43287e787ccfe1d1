"""Markdown for every surface of the portal: Python-Markdown, then nh3.

Nothing else in the project turns Markdown into HTML; templates use the
``markdown`` filter from ``portal_tags``, which calls :func:`render_markdown`.
"""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree

import markdown as md
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

from portal.validation import check_size, refuse_nul

_TASK_RE = re.compile(r"^\[([ xX])\]\s+")


class _TaskListTreeprocessor(Treeprocessor):
    """ "- [ ] step" and "- [x] step" (GitHub's task lists) become list items with a
    checkbox, shown, never submitted: the sanitizer makes every input a disabled
    checkbox whatever the text asked for."""

    def run(self, root):
        for item in root.iter("li"):
            holder = item
            if not (item.text or "").strip() and len(item) and item[0].tag == "p":
                holder = item[0]  # a loose list wraps its items in paragraphs
            match = _TASK_RE.match(holder.text or "")
            if not match:
                continue
            box = etree.Element("input", {"type": "checkbox"})
            if match.group(1) in "xX":
                box.set("checked", "checked")
            box.tail = " " + holder.text[match.end() :]
            holder.text = ""
            holder.insert(0, box)
            item.set("class", "task")
        return root


class TaskListExtension(Extension):
    def extendMarkdown(self, md_instance):
        md_instance.treeprocessors.register(_TaskListTreeprocessor(md_instance), "tasklist", 5)


EXTENSIONS = [
    "markdown.extensions.tables",
    "markdown.extensions.fenced_code",
    "markdown.extensions.codehilite",
    "markdown.extensions.toc",
    "markdown.extensions.admonition",
    "markdown.extensions.sane_lists",
    "markdown.extensions.def_list",
    "markdown.extensions.attr_list",
    TaskListExtension(),
]
EXTENSION_CONFIGS = {
    "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
    # Unicode slugs, so Russian headings get readable anchors instead of "_1", "_2".
    "markdown.extensions.toc": {"permalink": False, "toc_depth": "2-4", "slugify": slugify_unicode},
}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl",
    "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "input", "ol", "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "div": {"class"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "p": {"class"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "li": {"class"},
    "input": {"checked"},
}
# Every input that survives is a disabled checkbox (a task list's), whatever its source.
SET_ATTRIBUTES = {"input": {"type": "checkbox", "disabled": "disabled"}}
URL_SCHEMES = {"http", "https", "mailto"}


def validate_markdown(text: str) -> None:
    """Reject what no Markdown body should contain, before anything is stored."""
    refuse_nul(text)
    check_size(text, settings.MARKDOWN_MAX_BYTES)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        set_tag_attribute_values=SET_ATTRIBUTES,
    )


def render_markdown(text: str | None) -> SafeString:
    if not text:
        return mark_safe("")
    renderer = md.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    html = renderer.convert(text.replace("\x00", ""))
    return mark_safe(sanitize_html(html))


_renderers = threading.local()


def _plain_renderer() -> md.Markdown:
    """One renderer per thread, reset before each text: building one (its extensions,
    Pygments' lexers) cost more than converting a procedure, which a reindex of
    thousands of bodies paid each time."""
    renderer = getattr(_renderers, "plain", None)
    if renderer is None:
        renderer = _renderers.plain = md.Markdown(
            extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS
        )
    return renderer


# What can make Markdown (with the portal's extensions) or HTML show a text other than
# its words: inline markup, tags, entities, escapes, tables, attribute lists anywhere;
# headings, lists, quotes, rules, definitions, admonitions and fences at a line start.
# (Markdown reads "\r" as a line break too.)
_MARKUP = re.compile(r"[\\`*_\[\]<>&|{}]|(?:^|[\r\n])[ \t]*(?:[-+#>:!~=]|\d+[.)])")


def markdown_plain_text(text: str | None) -> str:
    """What a reader sees of a Markdown body, as plain text (for search and excerpts):
    rendered with the portal's own extensions, tags dropped, entities decoded — the
    templates escape it again. Prose without any markup is its own plain text: it
    skips the renderer, which costs about a millisecond a body (a reindex renders
    thousands)."""
    if not text:
        return ""
    text = text.replace("\x00", "")
    if not _MARKUP.search(text):
        return " ".join(text.split())
    return _rendered_plain_text(text)


def _rendered_plain_text(text: str) -> str:
    plain = nh3.clean(_plain_renderer().reset().convert(text), tags=set())
    return " ".join(html.unescape(plain).split())


def markdown_excerpt(text: str | None, length: int = 240) -> str:
    """Plain text from Markdown, for lists and search results (escaped by templates)."""
    plain = markdown_plain_text(text)
    return plain if len(plain) <= length else plain[: length - 1].rstrip() + "…"
