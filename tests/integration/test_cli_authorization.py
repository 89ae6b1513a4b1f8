"""Every command against every role, for the actor's own hub and another hub.

Each case runs on a fresh copy of one prepared database, through the real command line
(in-process), with the actor's real token. Refusals exit 1 with one line and change
nothing; another hub's specialists and schools are "not found", never "forbidden".
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from workflow.bootstrap import bootstrap
from workflow.cli.main import cli
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.models import AuditEntry, Refusal
from workflow.services import setup, staff
from workflow.services.auth import SYSTEM
from workflow.services.specialists import (
    NominationRequest,
    nominate,
    record_milestone,
    transition,
)

NOW = datetime(2025, 6, 2, 9, tzinfo=UTC)
ROLES = ["national_admin", "hub_lead", "hub_staff", "viewer"]
# Which roles may run each command (on their own hub's records).
EVERYONE, STAFF, LEADS, NATIONAL = (
    set(ROLES),
    {"national_admin", "hub_lead", "hub_staff"},
    {"national_admin", "hub_lead"},
    {"national_admin"},
)


def commands(t: dict[str, str]) -> dict[str, tuple[list[str], set[str], bool]]:
    """name -> (arguments, roles allowed, whether it targets a hub's record)."""
    return {
        "staff add": (["staff", "add", "new@x.example", "--name", "New", "--role", "viewer",
                       "--hub", t["hub"]], LEADS, True),
        "staff role": (["staff", "role", f"viewer@{t['hub']}.example", "--role", "hub_staff"],
                       LEADS, True),
        "staff deactivate": (["staff", "deactivate", f"hub_staff@{t['hub']}.example"], LEADS,
                             True),
        "staff invite": (["staff", "invite", f"viewer@{t['hub']}.example"], LEADS, True),
        "staff reactivate": (["staff", "reactivate", f"gone@{t['hub']}.example"], LEADS, True),
        "hub add": (["hub", "add", "east", "--name", "East Hub"], NATIONAL, False),
        "hub allocate": (["hub", "allocate", t["hub"], "--cohort", "9", "--places", "7"],
                         NATIONAL, False),
        "school add": (["school", "add", "777777", "--name", "S", "--hub", t["hub"],
                        "--phase", "secondary", "--funding", "state", "--head-name", "H",
                        "--head-email", "h@s.example"], LEADS, True),
        "school edit": (["school", "edit", t["school"], "--head-name", "New Head"], LEADS, True),
        "cohort add": (["cohort", "add", "2", "--rules", "cohort-2"], NATIONAL, False),
        "cohort window": (["cohort", "window", "9", "--opens", "2025-04-01",
                           "--closes", "2025-07-31T17:00"], NATIONAL, False),
        "nominate": (["nominate", "--cohort", "9", "--school", t["free_school"], "--name", "N",
                      "--email", "n@x.example", "--qts", "--teaching-since", "2015-09-01"],
                     STAFF, True),
        "nominate --late": (["nominate", "--cohort", "9", "--school", t["free_school"],
                             "--name", "N", "--email", "n@x.example", "--qts",
                             "--teaching-since", "2015-09-01", "--late", "--reason", "r"],
                            NATIONAL, True),
        "nominate --extra-nominee": (["nominate", "--cohort", "9", "--school", t["school"],
                                      "--name", "N", "--email", "n@x.example", "--qts",
                                      "--teaching-since", "2015-09-01", "--extra-nominee",
                                      "--reason", "r"], NATIONAL, True),
        "nominate --not-duplicate": (["nominate", "--cohort", "9", "--school", t["free_school"],
                                      "--name", "N", "--email", t["nominated_email"], "--qts",
                                      "--teaching-since", "2015-09-01", "--not-duplicate",
                                      "--reason", "r"], STAFF, True),
        "reinstate (reserve)": (["reinstate", t["not_selected"], "--reason", "r"], LEADS, True),
        "reinstate (withdrawn)": (["reinstate", t["withdrawn"], "--reason", "r"], LEADS, True),
        "change-cohort": (["change-cohort", t["deferred"], "--cohort", "10", "--reason", "r"],
                          LEADS, True),
        "milestone void": (["milestone", "void", t["year1"], t["milestone"], "--reason", "r"],
                           LEADS, True),
        "specialist edit": (["specialist", "edit", t["nominated"], "--name", "New Name"],
                            LEADS, True),
        "move": (["move", t["selected"], "--school", t["free_school"], "--reason", "r"],
                 LEADS, True),
        "workgroup add": (["workgroup", "add", t["work_group_lead"], "--name", "WG",
                           "--school", "123456", "--school", "654321"], STAFF, True),
        "import": (["import", "nominations", t["csv"], "--cohort", "9"], STAFF, True),
        "select": (["select", t["nominated"]], LEADS, True),
        "decline": (["decline", t["nominated"], "--reason", "r"], LEADS, True),
        "record": (["record", t["selected"], "launch-attended"], STAFF, True),
        "advance": (["advance", t["selected"]], LEADS, True),
        "advance --override": (["advance", t["year1"], "--override", "--reason", "r"],
                               LEADS, True),
        "withdraw": (["withdraw", t["selected"], "--reason", "r"], LEADS, True),
        "defer": (["defer", t["selected"], "--reason", "r"], LEADS, True),
        "resume": (["resume", t["deferred"]], LEADS, True),
        "show": (["show", t["selected"]], EVERYONE, True),
        "list": (["list", "--hub", t["hub"]], EVERYONE, True),
        "list --stuck": (["list", "--stuck", "--hub", t["hub"]], EVERYONE, True),
        "report cohort": (["report", "cohort", "9", "--hub", t["hub"]], EVERYONE, True),
        "dead-letters list": (["dead-letters", "list"], NATIONAL, False),
        "dead-letters retry": (["dead-letters", "retry", "--all"], NATIONAL, False),
        "report funding": (["report", "funding", "--cohort", "9", "--hub", t["hub"]],
                           EVERYONE, True),
    }  # fmt: skip


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, sqlite_template) -> dict:
    """One database: hubs north and south, each with a school and specialists in each state."""
    folder = tmp_path_factory.mktemp("authz")
    path = folder / "template.db"
    shutil.copyfile(sqlite_template, path)
    runtime = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=FixedClock(NOW))
    uow = runtime.uow
    tokens: dict[tuple[str, str], str] = {}
    targets: dict[str, dict[str, str]] = {}
    setup.add_cohort(uow(), SYSTEM, 9, "cohort-9")
    setup.add_cohort(uow(), SYSTEM, 10, "cohort-10")
    for hub, urn in (("north", "100001"), ("south", "200001")):
        setup.add_hub(uow(), SYSTEM, hub, f"{hub} hub")
        setup.allocate(uow(), SYSTEM, hub, 9, 6)
        setup.allocate(uow(), SYSTEM, hub, 10, 2)
        free_school = str(int(urn) + 1)
        for school in (urn, free_school):
            setup.add_school(uow(), SYSTEM, urn=school, name=f"{hub} school", hub_code=hub,
                             phase="secondary", funding="state", head_name="H",
                             head_email=f"head{school}@{hub}.example")  # fmt: skip
        ids = {}
        labels = ("nominated", "selected", "year1", "deferred", "not_selected", "withdrawn",
                  "work_group_lead")  # fmt: skip
        for label in labels:
            request = NominationRequest(9, urn, f"{label} {hub}", f"{label}@{hub}.example",
                                        True, date(2015, 9, 1), accept=frozenset({"extra_nominee"}),
                                        reason="set-up: several nominees")  # fmt: skip
            ids[label] = nominate(uow(), SYSTEM, request, NOW)
        for label, triggers in (("selected", ["select"]), ("year1", ["select", "start_year1"]),
                                ("deferred", ["select", "defer"]), ("not_selected", ["decline"]),
                                ("withdrawn", ["select", "withdraw"]),
                                ("work_group_lead", ["select", "start_year1", "start_year2",
                                                     "start_work_group"])):  # fmt: skip
            for trigger in triggers:
                transition(uow(), SYSTEM, ids[label], trigger, NOW, reason="set-up",
                           override=trigger.startswith("start_"))  # fmt: skip
        record_milestone(uow(), SYSTEM, ids["year1"], "central_day", NOW, half_days=2)
        with uow() as unit:
            milestone = unit.session.scalar(
                select(AuditEntry.id).where(AuditEntry.specialist_id == ids["year1"],
                                            AuditEntry.kind == "milestone")
            )  # fmt: skip
        csv_file = folder / f"{hub}.csv"
        csv_file.write_text(
            f"urn,name,email,qts,teaching_since\n{free_school},C,c@{hub}.example,yes,2015-09-01\n"
        )
        targets[hub] = {"hub": hub, "school": urn, "free_school": free_school,
                        "csv": str(csv_file), "milestone": str(milestone),
                        "nominated_email": f"nominated@{hub}.example",
                        **{k: str(v) for k, v in ids.items()}}  # fmt: skip
        for role in ROLES:
            hub_code = None if role == "national_admin" else hub
            tokens[(role, hub)] = staff.add_staff(
                uow(), SYSTEM, f"{role}@{hub}.example", role, role, hub_code, NOW
            )
        # deactivated, for ``staff reactivate``
        staff.add_staff(uow(), SYSTEM, f"gone@{hub}.example", "Gone", "viewer", hub, NOW)
        staff.deactivate(uow(), SYSTEM, f"gone@{hub}.example", NOW)
    runtime.close()
    return {"path": path, "tokens": tokens, "targets": targets}


CASES = [
    (name, role, where)
    for name in commands(defaultdict(lambda: "x"))
    for role in ROLES
    for where in ("own hub", "other hub")
]


@pytest.mark.parametrize(("name", "role", "where"), CASES)
def test_authorization_matrix(prepared, tmp_path, monkeypatch, name, role, where):
    db = tmp_path / "case.db"
    shutil.copyfile(prepared["path"], db)
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("WORKFLOW_NOW", "2025-06-02T10:00")
    monkeypatch.setenv("WORKFLOW_TOKEN", prepared["tokens"][(role, "north")])
    target_hub = "north" if where == "own hub" else "south"
    args, allowed, scoped = commands(prepared["targets"][target_hub])[name]
    # A national admin sees every hub; hub roles only their own.
    expect_ok = role in allowed and (where == "own hub" or not scoped or role == "national_admin")

    before = _counts(db)
    result = CliRunner().invoke(cli, args)
    if expect_ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1, result.output
        if name != "import":  # an import lists each refused row, then says nothing was imported
            assert len(result.output.strip().splitlines()) == 1, result.output
        assert "not found" in result.output or "may not" in result.output
        if scoped and where == "other hub" and role in allowed:
            assert "not found" in result.output  # existence does not leak
        after = _counts(db)
        assert after["audit"] == before["audit"]  # nothing changed
        assert after["refusals"] == before["refusals"] + 1  # the attempt is logged


def _counts(db: Path) -> dict[str, int]:
    runtime = bootstrap(Settings(database_url=f"sqlite:///{db}"), clock=FixedClock(NOW))
    try:
        with runtime.uow() as uow:
            return {
                "audit": uow.session.scalar(select(func.count(AuditEntry.id))),
                "refusals": uow.session.scalar(select(func.count(Refusal.id))),
            }
    finally:
        runtime.close()
