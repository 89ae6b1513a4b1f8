"""The server-drawn SVG charts: well-formed, named and described for assistive technology,
bars in proportion, the goal line where the goal is, text escaped, shares rounded down."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from workflow.web.charts import BLUE, GREEN, LABEL, Bar, bar_chart, percent

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_a_chart_is_an_image_named_by_its_title_and_described():
    root = parse(bar_chart("c1", "Places by hub", "What it shows", [Bar("A", 3, "3")]))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id == "c1-title"
    assert root.find(f"{SVG}title").text == "Places by hub"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == "What it shows"


def bars_of(root) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("fill") in (BLUE, GREEN)]


def test_bars_are_in_proportion_to_their_values():
    root = parse(bar_chart("c", "t", "d", [Bar("A", 10, "10"), Bar("B", 5, "5"), Bar("C", 0, "0")]))
    widths = [float(r.get("width")) for r in bars_of(root)]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    assert all(float(r.get("x")) == LABEL for r in bars_of(root))


def test_a_value_past_the_maximum_stops_at_it_and_its_figure_tells_the_truth():
    root = parse(bar_chart("c", "t", "d", [Bar("A", 150, "150%"), Bar("B", 50, "50%")],
                           maximum=100))  # fmt: skip
    a, b = (float(r.get("width")) for r in bars_of(root))
    assert a == pytest.approx(2 * b)
    assert "150%" in [t.text for t in root.iter(f"{SVG}text")]


def test_the_goal_line_is_drawn_at_the_goal_with_its_label():
    root = parse(bar_chart("c", "t", "d", [Bar("A", 100, "100%")], maximum=100, goal=65,
                           goal_text="Goal 65%"))  # fmt: skip
    (bar,) = bars_of(root)
    full = float(bar.get("width"))
    dashed = [x for x in root.iter(f"{SVG}line") if x.get("stroke-dasharray")]
    assert len(dashed) == 1
    assert float(dashed[0].get("x1")) == pytest.approx(LABEL + 0.65 * full, abs=0.1)
    assert "Goal 65%" in [t.text for t in root.iter(f"{SVG}text")]


def test_reached_bars_are_green_and_an_unknown_value_draws_no_bar():
    root = parse(bar_chart("c", "t", "d", [Bar("A", 70, "70%", reached=True),
                                           Bar("B", None, "not known")], maximum=100))  # fmt: skip
    assert [r.get("fill") for r in bars_of(root)] == [GREEN]
    assert "not known" in [t.text for t in root.iter(f"{SVG}text")]


def test_an_allocation_is_an_outlined_bar_behind_the_value():
    root = parse(bar_chart("c", "t", "d", [Bar("A", 5, "5 of 10", behind=10)]))
    outlined = [r for r in root.iter(f"{SVG}rect") if r.get("stroke") and r.get("y") != "6"]
    (value,) = bars_of(root)
    assert float(outlined[0].get("width")) == pytest.approx(2 * float(value.get("width")))


def test_text_is_escaped_and_long_labels_are_shortened():
    name = "<script>alert(1)</script> & a very long hub name indeed, longer than the column"
    markup = str(bar_chart("c", "Hub <b>", "d & e", [Bar(name, 1, "1")]))
    assert "<script>" not in markup and "<b>" not in markup
    root = parse(markup)
    label = next(t.text for t in root.iter(f"{SVG}text") if t.text.startswith("<script>"))
    assert label.endswith("…") and len(label) < len(name)


def test_an_empty_chart_is_still_well_formed():
    assert parse(bar_chart("c", "t", "d", [])).get("role") == "img"


@pytest.mark.parametrize(
    ("share", "shown"),
    [(None, "not known"), (0.6496, "64.9%"), (0.65, "65.0%"), (0.29, "29.0%"), (0, "0.0%"),
     (1.135, "113.5%"), (2 / 3, "66.6%")],
)  # fmt: skip
def test_a_share_is_rounded_down_to_one_decimal(share, shown):
    assert percent(share) == shown
