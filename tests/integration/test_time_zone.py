"""Dates people mean are taken in the configured zone, not in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.integration.conftest import ADMIN, build_world
from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.models import AuditEntry
from workflow.services.specialists import record_milestone, transition

# 00:30 on 1 October 2025 in London (summer time, UTC+1) is 23:30 on 30 September in UTC.
HALF_PAST_MIDNIGHT_IN_LONDON = datetime(2025, 9, 30, 23, 30, tzinfo=UTC)


def _milestone_date(database_url, tmp_path, timezone: str):
    clock = FixedClock(datetime(2025, 6, 2, 9, tzinfo=UTC))
    settings = Settings(database_url=database_url, mail_dir=tmp_path / "mail", timezone=timezone)
    runtime = bootstrap(settings, clock=clock)
    try:
        world = build_world(runtime, clock)
        (sid,) = world.nominate(1)
        transition(runtime.uow(), ADMIN, sid, "select", clock.now())
        clock.set(HALF_PAST_MIDNIGHT_IN_LONDON)
        record_milestone(runtime.uow(), ADMIN, sid, "launch_attended", clock.now())
        with runtime.uow() as uow:
            return uow.session.scalar(
                select(AuditEntry.occurred_on).where(AuditEntry.name == "launch_attended")
            )
    finally:
        runtime.close()


def test_a_milestone_recorded_at_half_past_midnight_in_london_summer_time_has_londons_date(
    database_url, tmp_path
):
    assert _milestone_date(database_url, tmp_path, "Europe/London").isoformat() == "2025-10-01"


@pytest.mark.parametrize("zone, expected", [("UTC", "2025-09-30"), ("Asia/Tokyo", "2025-10-01")])
def test_the_date_follows_the_configured_zone(database_url, tmp_path, zone, expected):
    assert _milestone_date(database_url, tmp_path, zone).isoformat() == expected
