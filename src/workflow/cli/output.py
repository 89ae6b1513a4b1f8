"""Printing: one JSON document with --json, rich tables otherwise; pounds from pence; safe CSV."""

from __future__ import annotations

import csv
import json
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from workflow.errors import InvalidInput

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


#: Bidirectional overrides and isolates: they reorder what a terminal shows.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(value: Any) -> str:
    """Text safe to show on a terminal: control characters (an escape sequence stored in a
    reason, say) and bidirectional overrides are shown escaped (``\x1b``), not obeyed."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(
        char
        if char.isprintable() and char not in _BIDI
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table that fits the terminal (80 columns when not a terminal): long cells wrap
    within their column; cells are plain text (no rich markup) and printable."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=title, show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(Text(printable(v)) for v in row))
    Console().print(grid)


def echo(text: str) -> None:
    """A line of human output, printable (see ``printable``), wrapped at the terminal's
    width (80 columns when not a terminal) with the rest indented."""
    width = shutil.get_terminal_size((80, 24)).columns
    wrapped = textwrap.fill(
        printable(text), width=max(width, 40), subsequent_indent="    ", break_on_hyphens=False
    )
    click.echo(wrapped)


def pounds(pence: int) -> str:
    """Integer pence as £1,234.56 (no floats); the same rule as the emails use."""
    from workflow.notify.formatting import format_pence

    return format_pence(pence)


def local_time(iso: str, tz) -> str:
    """A stored UTC time as people here read it: ``2025-09-01 09:00`` in the configured zone."""
    from datetime import datetime

    return datetime.fromisoformat(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula: a leading = + - @ gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV file (``-``: stdout); a path that cannot be written is one clear line."""
    try:
        handle = sys.stdout if path == "-" else open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
    finally:
        if handle is not sys.stdout:
            handle.close()


@contextmanager
def progress(total: int | None, label: str) -> Iterator[Callable[..., None]]:
    """Yields ``advance(n)`` (or ``advance(done, total)``, for work that knows its total
    only once started): a progress bar on a terminal, nothing when not a terminal."""
    if not sys.stdout.isatty():
        yield lambda *_: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int, of: int | None = None) -> None:
            if of is None:
                bar.update(task, advance=n)
            else:
                bar.update(task, completed=n, total=of)

        yield advance
