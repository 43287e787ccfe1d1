import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal.markdown import render_markdown, validate_markdown

# Payloads from the usual XSS cheat sheets, as they arrive in Markdown bodies.
XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<a href="vbscript:msgbox(1)">x</a>',
    "<iframe src=https://example.org></iframe>",
    "<object data=x></object><embed src=x>",
    "<form action=https://example.org><input name=a></form>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)">x</p>',
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<a href="https://ok.example" onmouseover="alert(1)">ok</a>',
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "```html\n<script>alert(1)</script>\n```",
    "<scr<script>ipt>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    '<img src="x" alt="a" onerror="alert(1)">',
]

FORBIDDEN = [
    "<script",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "ontoggle",
    "javascript:",
    "vbscript:",
    "data:text",
    "<iframe",
    "<object",
    "<embed",
    "<form",
    "<style",
    "style=",
    "<meta",
    "<base",
]


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_it_strips_every_payload(payload):
    html = render_markdown(payload).lower()
    for bad in FORBIDDEN:
        assert bad not in html, (payload, html)


def test_it_keeps_the_markdown_people_write():
    html = render_markdown(
        "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('x')\n```\n\n"
        "!!! note\n    Remember.\n\n[docs](https://example.org) [mail](mailto:a@example.org)"
    )
    assert "<table>" in html
    assert '<div class="highlight">' in html
    assert 'class="admonition note"' in html
    assert 'href="https://example.org"' in html
    assert 'href="mailto:a@example.org"' in html
    assert 'id="title"' in html


def test_it_refuses_nul_bytes():
    with pytest.raises(ValidationError) as info:
        validate_markdown("ok\x00not ok")
    assert info.value.code == "nul"


@override_settings(MARKDOWN_MAX_BYTES=100)
def test_it_refuses_bodies_over_the_limit():
    validate_markdown("я" * 50)  # 100 bytes in UTF-8: exactly the limit
    with pytest.raises(ValidationError) as info:
        validate_markdown("я" * 51)
    assert info.value.code == "too_large"


def test_russian_headings_get_readable_anchors():
    html = render_markdown("## Роли и ответственность")
    assert 'id="роли-и-ответственность"' in html


def test_plain_text_is_what_a_reader_sees():
    from portal.markdown import markdown_excerpt, markdown_plain_text

    text = "# R&D\n\n| a | b |\n|---|---|\n| x | y |\n\n!!! note\n    Tom & Jerry"
    assert markdown_plain_text(text) == "R&D a b x y Note Tom & Jerry"
    assert markdown_excerpt("Tom & Jerry") == "Tom & Jerry"  # templates escape it once


def test_task_lists_render_as_checkboxes_that_cannot_be_used():
    from portal.markdown import render_markdown

    html = str(render_markdown("- [ ] get a laptop\n- [x] meet **Alice**\n- plain item\n"))
    assert '<li class="task"><input ' in html and "> get a laptop</li>" in html
    assert html.count('type="checkbox"') == 2 and html.count('disabled="disabled"') == 2
    assert 'checked="checked"' in html and "<strong>Alice</strong>" in html
    assert "<li>plain item</li>" in html


def test_an_input_written_in_the_text_becomes_a_disabled_checkbox():
    from portal.markdown import render_markdown

    html = str(render_markdown('<input type="password" name="p" onfocus="alert(1)">'))
    assert "password" not in html and "onfocus" not in html and "name=" not in html
    assert 'type="checkbox"' in html and 'disabled="disabled"' in html


# Prose, punctuation (with the characters of Markdown's block markers inside lines),
# Cyrillic, indentation and blank lines: what procedure bodies mostly are.
_PROSE = "aZ09 \n\t.,;:!?'\"()/%$@^-+=#~ёЖщ\u00a0\r"


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=_PROSE, max_size=120))
def test_prose_read_without_the_renderer_reads_as_rendered(text):
    """Text without markup skips the Markdown renderer; it must come out exactly as
    the renderer would have made it."""
    from portal.markdown import _MARKUP, _rendered_plain_text, markdown_plain_text

    assume(not _MARKUP.search(text))
    assert markdown_plain_text(text) == _rendered_plain_text(text)


@pytest.mark.parametrize(
    "text",
    ["- item", "1. step", "# Heading", "> quote", "Term\n: meaning", "a *b* c", "a | b",
     "!!! note\n    text", "---", "Title\n===", "~~~\ncode\n~~~", "a &amp; b", "[TOC]"],
)  # fmt: skip
def test_markup_goes_through_the_renderer(text):
    from portal.markdown import _MARKUP

    assert _MARKUP.search(text)
