"""Finding and replacing personal values in stored text and JSON (used by erasure and the dump).

- ``keyed_hash``: the HMAC-SHA256 of an address under the installation's erasure key.
- ``Substitution``: replaces known names and addresses inside any text, whole words only and
  ignoring case ("Ann Lee" is found in "asked by ann lee", not in "Joanne Leeds").
- ``scrub_json``: the same through a JSON payload, clearing strings under free-text keys.
- ``mentioning``: the rows of one column that may mention a value (a cheap SQL ``LIKE``
  first; the caller's ``Substitution`` decides), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Column, String, Table, cast, func, or_, select
from sqlalchemy.orm import Session

from workflow.db.personal import FREE_TEXT_KEYS

ERASED = "[erased]"


def keyed_hash(key: str, email: str) -> str:
    """An address's HMAC-SHA256 under ``key`` (hex): recognisable only by who holds the key."""
    return hmac.new(key.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


class Substitution:
    """Replace each of ``replacements`` (old value -> new) wherever it stands as whole words."""

    def __init__(self, replacements: Mapping[str, str]):
        self.originals = [old for old in replacements if old.strip()]
        self.lookup = {old.lower(): new for old, new in replacements.items() if old.strip()}
        olds = sorted(self.lookup, key=len, reverse=True)
        body = "|".join(re.escape(old) for old in olds)
        self.regex = re.compile(rf"(?<![\w.@+-])(?:{body})(?![\w@-])", re.I) if olds else None

    def text(self, value: str | None) -> str | None:
        if value is None or self.regex is None:
            return value
        return self.regex.sub(lambda m: self.lookup[m.group(0).lower()], value)

    def json(self, value: Any, *, clear: str | None = None) -> Any:
        """``value`` with every string substituted; strings under free-text keys replaced by
        ``clear`` when it is given."""
        return scrub_json(value, self.text, clear)

    @property
    def olds(self) -> list[str]:
        """The values replaced, as given (searching needs their case: see ``like_patterns``)."""
        return list(self.originals)


def scrub_json(value: Any, text, clear: str | None = None, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: scrub_json(v, text, clear, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, text, clear, key) for v in value]
    if isinstance(value, str):
        if clear is not None and key in FREE_TEXT_KEYS:
            return clear
        return text(value)
    return value


def like_patterns(values: Iterable[str]) -> list[str]:
    """What to look for in stored text: each value as given and lower-cased, each also as
    JSON writes it (non-ASCII as \\u escapes). Both cases, because SQLite's ``lower`` folds
    ASCII only (``Élodie`` stays ``Élodie``)."""
    patterns = set()
    for value in values:
        for form in (value, value.lower()):
            patterns.add(form)
            patterns.add(json.dumps(form)[1:-1])
    return sorted(p for p in patterns if p)


def mentioning(session: Session, table: Table, column: Column, values: Iterable[str]):
    """``(primary key, value)`` of the rows whose ``column`` may contain one of ``values``."""
    patterns = like_patterns(values)
    if not patterns:
        return []
    as_text = cast(column, String)
    lowered = func.lower(as_text)
    found = or_(
        *(as_text.contains(p, autoescape=True) for p in patterns),
        *(lowered.contains(p.lower(), autoescape=True) for p in patterns),
    )
    (key,) = table.primary_key.columns
    return session.execute(select(key, column).where(found)).all()


def linked_json(value: Any, specialist_id: int) -> bool:
    """Whether a JSON payload is about ``specialist_id`` (a ``specialist_id`` key anywhere)."""
    if isinstance(value, dict):
        if value.get("specialist_id") == specialist_id:
            return True
        return any(linked_json(v, specialist_id) for v in value.values())
    if isinstance(value, list):
        return any(linked_json(v, specialist_id) for v in value)
    return False
