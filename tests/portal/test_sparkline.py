"""Sparklines: the points scaled into the box, gaps where nothing was measured, the
figures as words for screen readers, and the title escaped."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from django.template import Context, Template
from django.utils import translation

from portal.sparkline import HEIGHT, PAD, WIDTH, sparkline_points, sparkline_svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english():
    # Other tests leave their language active; the words here are checked in English.
    with translation.override("en"):
        yield


def parse(html: str) -> ET.Element:
    # The markup is XML as well as HTML; a namespace makes ElementTree read it as SVG.
    # The text is the portal's own output, not untrusted input.
    return ET.fromstring(  # noqa: S314
        str(html).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1)
    )


def points_of(root: ET.Element) -> list[list[tuple[float, float]]]:
    runs = []
    for shape in root.iter():
        if shape.tag == f"{SVG}polyline":
            pairs = shape.get("points").split()
            runs.append([tuple(float(c) for c in p.split(",")) for p in pairs])
        elif shape.tag == f"{SVG}circle":
            runs.append([(float(shape.get("cx")), float(shape.get("cy")))])
    return runs


def test_every_value_is_a_point_scaled_into_the_box():
    values = [0, 2, 8, 6]
    root = parse(sparkline_svg(values, "GPUs", ceiling=8))
    [run] = points_of(root)
    assert len(run) == len(values)
    xs = [x for x, _y in run]
    assert xs[0] == PAD and xs[-1] == WIDTH - PAD
    assert all(b > a for a, b in itertools.pairwise(xs))
    ys = [y for _x, y in run]
    assert ys[0] == HEIGHT - PAD  # the floor, 0, is the bottom
    assert ys[2] == PAD  # the ceiling, 8, is the top (y grows downwards)
    assert ys[3] == round(PAD + (1 - 6 / 8) * (HEIGHT - 2 * PAD), 1)


def test_a_ceiling_above_the_values_leaves_room_over_them():
    [[(_x, y)]] = sparkline_points([50], ceiling=100)
    assert y == HEIGHT / 2


def test_hours_without_a_value_break_the_line():
    runs = sparkline_points([1, 2, None, None, 3, None, 4, 5])
    assert [len(r) for r in runs] == [2, 1, 2]
    root = parse(sparkline_svg([1, 2, None, None, 3, None, 4, 5], "x"))
    assert [len(r) for r in points_of(root)] == [2, 1, 2]
    # The x of a value keeps its place in time across the gap.
    step = (WIDTH - 2 * PAD) / 7
    assert runs[1][0][0] == round(PAD + 4 * step, 1)


def test_the_figures_are_read_out_in_words():
    root = parse(sparkline_svg([2, None, 8, 6], "GPU allocation over the last day"))
    label = "GPU allocation over the last day: min 2, max 8, now 6"
    assert root.get("role") is None  # the wrapper is a span; the picture is the svg
    svg = root.find(f"{SVG}svg")
    assert svg.get("role") == "img" and svg.get("aria-label") == label
    assert svg.find(f"{SVG}title").text == label


def test_the_words_follow_the_language():
    with translation.override("ru"):
        html = str(sparkline_svg([10.5, 20], "Загрузка", unit=" %"))
    assert "Загрузка: мин 10,5 %, макс 20 %, сейчас 20 %" in html


def test_a_title_cannot_inject_markup():
    html = str(sparkline_svg([1, 2], '"><script>alert(1)</script>'))
    assert "<script>" not in html
    parse(html)  # still well-formed: the quote did not end the attribute


def test_no_values_say_so_instead_of_an_empty_box():
    for values in ([], [None, None]):
        html = str(sparkline_svg(values, "x"))
        assert "<svg" not in html and "No history yet." in html


def test_the_template_tag_draws_from_any_app():
    html = Template("{% load portal_tags %}{% sparkline values 'Load' unit='%' %}").render(
        Context({"values": [3, 1, 4]})
    )
    assert re.search(r'aria-label="Load: min 1%, max 4%, now 4%"', html)
