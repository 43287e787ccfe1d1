"""The one front matter reader: the block, the body, and where each problem is."""

import pytest

from portal.frontmatter import FrontMatterError, parse_front_matter


def test_it_splits_the_block_from_the_body_and_knows_the_lines():
    front = parse_front_matter("---\nstatus: accepted\ntags:\n  - a\n---\n# Title\n")
    meta, body, body_line = front
    assert meta == {"status": "accepted", "tags": ["a"]}
    assert (body, body_line) == ("# Title\n", 6)
    assert (front.line_of("status"), front.line_of("tags")) == (2, 3)


def test_the_yaml_end_marker_also_closes_the_block():
    assert tuple(parse_front_matter("---\na: 1\n...\nbody")) == ({"a": 1}, "body", 4)


def test_without_a_block_the_whole_text_is_the_body_unless_one_is_required():
    assert tuple(parse_front_matter("# Title\n")) == ({}, "# Title\n", 1)
    with pytest.raises(FrontMatterError) as exc:
        parse_front_matter("# Title\n", required=True)
    assert exc.value.line == 1


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("---\na: 1\n", 1, "not closed"),
        ("---\na: 1\nb: [x, y\n---\n", 3, "not valid YAML"),
        ("---\n- a\n- b\n---\n", 2, "mapping"),
    ],
)
def test_errors_name_their_line(text, line, words):
    with pytest.raises(FrontMatterError) as exc:
        parse_front_matter(text)
    assert exc.value.line == line
    assert words in exc.value.message
