"""msgspec's first fault, put in words: where (dotted, list items by number) and what."""

from __future__ import annotations

from typing import Literal

import msgspec
import pytest

from workflow.conversion import FieldProblem, Invalid, convert


class Item(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["a", "b"] | None = None
    low: int = 0
    high: int = 0

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise FieldProblem("high", "below low")


class Box(msgspec.Struct):
    items: list[Item]


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ({"items": [{}, {"kind": "c"}]}, "items.1.kind", "expected one of 'a', 'b', got 'c'"),
        ({"items": [{"low": 2, "high": 1}]}, "items.0.high", "below low"),
        ({"items": [{"low": "2"}]}, "items.0.low", "expected a whole number, got '2'"),
        ({"items": [{"size": 1}]}, "items.0.size", "unknown field"),
        ({}, "items", "missing"),
        ({"items": {"kind": "a"}}, "items", "expected a list, got {'kind': 'a'}"),
    ],
)
def test_the_fault_names_the_field_and_the_problem(data, where, message):
    with pytest.raises(Invalid) as caught:
        convert(data, Box)
    assert (caught.value.where, caught.value.message) == (where, message)


def test_good_data_converts():
    assert convert({"items": [{"kind": "a", "high": 1}]}, Box) == Box([Item("a", 0, 1)])
