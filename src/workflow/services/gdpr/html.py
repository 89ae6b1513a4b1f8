"""The readable version of a subject access export: one self-contained HTML page.

Rendered from the same document as the JSON (so the two cannot disagree), section by
section: a list of records becomes a table, a record a list of fields. Autoescaped. Times
(stored and exported in UTC) are shown in the configured zone, dates and money as people
read them (``notify.formatting``, as in the emails).
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment

from workflow.notify.formatting import format_day, format_pence, format_when

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TITLES = {
    "subject": "Who this is about",
    "record": "Your record",
    "school": "School",
    "hub": "Maths Hub",
    "transitions": "Your programme history",
    "milestones": "Attendance and milestones",
    "emails": "Emails sent to you or about you",
    "funding": "Funding paid to your school for your release time",
    "other_records": "Other records that refer to you",
    "schools": "Schools where you are a contact",
    "staff": "Your staff account",
    "article15": "About this information (UK GDPR Article 15)",
}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Information held about you</title>
<style>
body{font-family:Arial,sans-serif;margin:2em;max-width:70em;color:#0b0c0c}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #b1b4b6;
padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f2f1}
dt{font-weight:bold}dd{margin:0 0 .5em 1em}
</style></head><body>
<h1>Information held about you</h1>
<p>Produced on {{ doc.generated_at }} in answer to a subject access request.</p>
{% for key, value in doc.items() if key != "generated_at" %}
<h2>{{ titles.get(key, key.replace("_", " ").capitalize()) }}</h2>
{{ show(value) }}
{% endfor %}
</body></html>
"""

MACROS = """{% macro show(value) -%}
{%- if value is mapping -%}
<dl>{% for k, v in value.items() %}<dt>{{ k.replace("_", " ") }}</dt><dd>{{ show(v) }}</dd>
{% endfor %}</dl>
{%- elif value is sequence and value is not string -%}
{%- if value and value[0] is mapping -%}
<table><tr>{% for k in value[0].keys() %}<th>{{ k.replace("_", " ") }}</th>{% endfor %}</tr>
{% for row in value %}<tr>{% for v in row.values() %}<td>{{ show(v) }}</td>{% endfor %}</tr>
{% endfor %}</table>
{%- elif value -%}<ul>{% for v in value %}<li>{{ show(v) }}</li>{% endfor %}</ul>
{%- else -%}<p>None.</p>{%- endif -%}
{%- elif value is none -%}&ndash;
{%- else -%}{{ value }}{%- endif -%}
{%- endmacro %}"""


def export_html(document: dict[str, Any], timezone: str) -> str:
    env = Environment(autoescape=True)
    macros = env.from_string(MACROS).module
    shown = readable(document, timezone)
    return env.from_string(PAGE).render(doc=shown, titles=TITLES, show=macros.show)


def readable(value: Any, timezone: str, key: str = "") -> Any:
    """The document with times in ``timezone``, dates spelt out and pence in pounds."""
    if isinstance(value, dict):
        return {k: readable(v, timezone, k) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v, timezone, key) for v in value]
    if key.endswith("_pence") and isinstance(value, int) and not isinstance(value, bool):
        return format_pence(value)
    if isinstance(value, str) and ISO_TIME.match(value):
        return format_when(value, timezone)
    if isinstance(value, str) and ISO_DAY.match(value):
        return format_day(value, timezone)
    return value
