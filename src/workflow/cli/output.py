"""Printing: one JSON document with --json, rich tables otherwise; pounds from pence; safe CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    grid = Table(title=title, show_lines=False)
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    Console(soft_wrap=True).print(grid)


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
    handle = sys.stdout if path == "-" else open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
    try:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
    finally:
        if handle is not sys.stdout:
            handle.close()


@contextmanager
def progress(total: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)``: a progress bar on a terminal, nothing when not a terminal."""
    if not sys.stdout.isatty():
        yield lambda n: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.update(task, advance=n)
