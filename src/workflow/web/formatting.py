"""How the pages show dates, times, money and states: "30 September 2025", in the
configured time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask

STATE_LABELS = {
    "nominated": "Nominated",
    "selected": "Selected",
    "not_selected": "Not selected",
    "year1": "Year 1",
    "year2": "Year 2",
    "work_group_lead": "Work Group Lead",
    "deferred": "Deferred",
    "withdrawn": "Withdrawn",
}
TAG_COLOURS = {
    "nominated": "blue",
    "selected": "turquoise",
    "not_selected": "grey",
    "year1": "green",
    "year2": "green",
    "work_group_lead": "purple",
    "deferred": "yellow",
    "withdrawn": "red",
}
TRIGGER_LABELS = {
    "nominate": "Nominated",
    "select": "Selected",
    "decline": "Not selected",
    "start_year1": "Started Year 1",
    "start_year2": "Started Year 2",
    "start_work_group": "Became a Work Group Lead",
    "defer": "Deferred",
    "resume": "Resumed",
    "withdraw": "Withdrew",
    "reinstate": "Reinstated (a correction)",
}


def day(value: date | datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(tz).date()
    return f"{value.day} {value:%B %Y}"


def moment(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{day(local, tz)}, {clock(local, tz)}"


def clock(value: datetime | None, tz: ZoneInfo) -> str:
    """The time of day only: "9:30am", "5pm"."""
    if value is None:
        return ""
    local = value.astimezone(tz)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def duration(value: timedelta | None) -> str:
    """An age for people: "less than a minute", "12 minutes", "3 hours", "5 days"."""
    if value is None:
        return ""
    seconds = max(0, int(value.total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return "less than a minute"


def number(value: float | int | None) -> str:
    """Days as people write them: 7.5, 5 (not 5.0)."""
    if value is None:
        return ""
    return f"{value:g}"


def period(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """ "16 October 2025, 9:30am to 3:30pm"; the end's date too when it is another day."""
    if start.astimezone(tz).date() == end.astimezone(tz).date():
        return f"{moment(start, tz)} to {moment(end, tz).split(', ')[-1]}"
    return f"{moment(start, tz)} to {moment(end, tz)}"


def pounds(pence: int | None) -> str:
    """Integer pence as "£1,234.56"; a clawback reads "-£200.00"."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    whole, rest = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{rest:02d}"


def days(value: float | None) -> str:
    """A duration in days: "half a day", "1 day", "1.5 days"."""
    if value is None:
        return ""
    if value == 0.5:
        return "half a day"
    number = f"{value:g}"
    return f"{number} day" if value == 1 else f"{number} days"


def words(value: str) -> str:
    return value.replace("_", " ").capitalize()


def register(app: Flask, tz: ZoneInfo) -> None:
    app.add_template_filter(lambda v: day(v, tz), "day")
    app.add_template_filter(lambda v: moment(v, tz), "moment")
    app.add_template_filter(lambda v: clock(v, tz), "clock")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(number, "number")
    app.add_template_filter(pounds, "pounds")
    app.add_template_filter(days, "days")
    app.add_template_filter(lambda start, end: period(start, end, tz), "period")
    app.add_template_filter(words, "words")
    app.add_template_filter(lambda s: STATE_LABELS.get(s, words(s)), "state")
    app.add_template_filter(lambda s: TAG_COLOURS.get(s, "grey"), "tag_colour")
    app.add_template_filter(lambda t: TRIGGER_LABELS.get(t, words(t)), "trigger")
