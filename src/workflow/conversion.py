"""Plain data (TOML, the environment, JSON) checked against msgspec structs, faults in words.

msgspec stops at the first problem and reports it as ``message - at `$.a.b[0]```. ``convert``
turns that into an ``Invalid`` naming the field as ``a.b.0`` and the problem in words a hub
administrator can act on (``missing``, ``unknown field``, ``expected a whole number, got
'lots'``). A struct's ``__post_init__`` raises ``FieldProblem`` to blame one of its fields
rather than the whole struct.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

# msgspec's names for the types it expected, as a hub administrator would say them.
_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "date": "a date such as 2025-09-03 (no quotes)",
    "datetime": "a date and time with a UTC offset, such as 2025-09-30T09:30:00+01:00",
    "object": "a table",
    "array": "a list",
    "null": "nothing",
}
_AT = re.compile(r" - at `(\$[^`]*)`$")
_PART = re.compile(r"\.([^.\[]+)|\[([^\]]*)\]")
_FIELD = re.compile(r"^Object (missing required|contains unknown) field `([^`]*)`$")
_EXPECTED = re.compile(r"^Expected `([^`]*)`(.*?)(?:, got `[^`]*`)?$")
_ENUM = re.compile(r"^Invalid enum value ")
_ENCODED = re.compile(r"^Invalid RFC3339 encoded (date|datetime)$")


class FieldProblem(ValueError):
    """A struct's cross-field check blaming one of its fields (``field`` may be dotted)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class Invalid(Exception):
    """The first fault found: ``where`` (``year1.instalments.0.percent``, or "") and what."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}" if where else message)
        self.where, self.message = where, message


def convert(
    data: Any,
    type_: type[T],
    *,
    strict: bool = True,
    builtin_types: Iterable[type] = (),
    dec_hook: Any = None,
) -> T:
    """``msgspec.convert``, its ``ValidationError`` turned into ``Invalid``."""
    try:
        return msgspec.convert(
            data, type_, strict=strict, builtin_types=tuple(builtin_types), dec_hook=dec_hook
        )
    except msgspec.ValidationError as exc:
        raise _invalid(exc, data, type_) from None


def _invalid(exc: msgspec.ValidationError, data: Any, type_: Any) -> Invalid:
    text = str(exc)
    at = _AT.search(text)
    message = text[: at.start()] if at else text
    parts = [a or b for a, b in _PART.findall(at.group(1))] if at else []
    cause = exc.__cause__
    if isinstance(cause, FieldProblem):
        parts.append(cause.field)
        return Invalid(".".join(parts), cause.message)
    if field := _FIELD.match(message):
        parts.append(field.group(2))
        missing = field.group(1) == "missing required"
        return Invalid(".".join(parts), "missing" if missing else "unknown field")
    if expected := _EXPECTED.match(message):
        name, constraint = expected.groups()
        constraint = " (not empty)" if constraint == " of length >= 1" else constraint
        message = f"expected {_WORDS.get(name, name)}{constraint}"
    elif encoded := _ENCODED.match(message):
        message = f"expected {_WORDS[encoded.group(1)]}"
    elif _ENUM.match(message) and (allowed := _allowed(type_, parts)):
        message = "expected one of " + ", ".join(repr(v) for v in allowed)
    else:  # a struct's own check (__post_init__): its message says it all
        return Invalid(".".join(parts), message)
    return Invalid(".".join(parts), message + _got(data, parts))


def _got(data: Any, parts: list[str]) -> str:
    """``, got VALUE`` for the input at ``parts``, as written in TOML; "" if not found."""
    for part in parts:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return ""
    if isinstance(data, date | datetime):
        return f", got {data.isoformat()}"
    if isinstance(data, bool):
        return f", got {str(data).lower()}"
    return f", got {data!r}"


def _allowed(type_: Any, parts: list[str]) -> tuple[Any, ...]:
    """The values a ``Literal`` field at ``parts`` of ``type_`` allows (only read on a fault)."""
    from msgspec import inspect

    info = inspect.type_info(type_)
    for part in [*parts, ""]:  # "": unwrap the field's own type once more at the end
        while isinstance(info, inspect.Metadata | inspect.UnionType):
            if isinstance(info, inspect.Metadata):
                info = info.type
            else:  # X | None: the part that is not None
                info = next(t for t in info.types if not isinstance(t, inspect.NoneType))
        if isinstance(info, inspect.StructType) and part:
            info = next(f.type for f in info.fields if f.encode_name == part)
        elif hasattr(info, "item_type") and part:  # list, set, tuple[X, ...]
            info = info.item_type
    return info.values if isinstance(info, inspect.LiteralType) else ()
