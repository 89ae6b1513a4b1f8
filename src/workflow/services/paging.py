"""A page of a long list (specialists, schools, statements): its rows, how many there are
in all, which page it is and how many pages, and the arithmetic of choosing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Rows on a page of the web's lists.
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    pages: int


def place(total: int, page: int, size: int = PAGE_SIZE) -> tuple[int, int]:
    """``(page, pages)`` for ``total`` rows: the page asked for, kept between the first and
    the last (an empty list has one page)."""
    pages = max(1, -(-total // size))
    return min(max(1, page), pages), pages
