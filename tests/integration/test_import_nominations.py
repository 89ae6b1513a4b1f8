"""CSV import of nominations: checked first, all or nothing, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import fresh_sqlite_url
from tests.integration.conftest import ADMIN, build_world
from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.models import AuditEntry, OutboxMessage, Specialist
from workflow.errors import InvalidInput, WorkflowError
from workflow.services.imports import import_nominations

HEADER = "urn,name,email,qts,teaching_since\r\n"
GOOD = [
    "100001,Ada Lovelace,ada@school.example,yes,2015-09-01",
    "200001,Alan Turing,alan@school.example,YES,2016-09-01",  # one lead teacher per school
]


def specialists(runtime) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(select(func.count(Specialist.id)))


def run_import(world, text: str | bytes, **flags):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_nominations(world.runtime.uow(), ADMIN, data, 9, world.clock.now(), **flags)


def test_a_clean_file_with_bom_and_crlf_imports_every_row(world):
    result = run_import(world, "\ufeff" + HEADER + "\r\n".join(GOOD) + "\r\n")
    assert len(result.imported) == 2 and result.errors == []
    assert specialists(world.runtime) == 2


def test_one_bad_row_imports_nothing_and_lists_every_problem(world):
    rows = [
        *GOOD,
        "999999,Bad School,x@y.example,maybe,2024-13-01",
        "100001,Dup,ada@school.example,yes,2015-09-01",
    ]
    result = run_import(world, HEADER + "\n".join(rows))
    assert result.imported == []
    assert [e["row"] for e in result.errors] == [4, 5]
    assert any("qts 'maybe'" in e for e in result.errors[0]["errors"])
    assert any("not a date" in e for e in result.errors[0]["errors"])
    assert result.errors[1]["errors"] == ["the same email as row 2"]
    assert specialists(world.runtime) == 0


def test_a_teacher_already_in_the_database_is_a_duplicate(world):
    world.nominate(email="ada@school.example", school=world.other_school)
    result = run_import(world, HEADER + GOOD[0])
    assert result.errors == [
        {"row": 2, "errors": ["possible duplicate: specialist 1 has the same email address"]}
    ]


def test_a_second_row_for_one_school_is_refused_naming_the_first(world):
    rows = [GOOD[0], "100001,Grace Hopper,grace@school.example,yes,2015-09-01"]
    result = run_import(world, HEADER + "\n".join(rows))
    assert result.imported == []
    assert result.errors == [
        {
            "row": 3,
            "errors": [
                "school 100001 is nominated already in row 2; the cohort takes 1 nominee(s) "
                "per school"
            ],
        }
    ]


def test_the_accredited_pd_lead_column_meets_the_guard_from_the_start(world):
    text = HEADER.strip() + ",accredited_pd_lead\n" + GOOD[0] + ",yes\n" + GOOD[1] + ",no\n"
    result = run_import(world, text)
    assert result.errors == [] and len(result.imported) == 2
    with world.runtime.uow() as uow:
        names = {
            sid: [e.name for e in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.specialist_id == sid).order_by(AuditEntry.id))]
            for sid in result.imported
        }  # fmt: skip
    assert names == {
        result.imported[0]: ["nominate", "accreditation"],
        result.imported[1]: ["nominate"],
    }


def test_skip_invalid_imports_the_valid_rows(world):
    rows = [*GOOD, "100001,Young Teacher,young@school.example,yes,2024-09-01"]
    result = run_import(world, HEADER + "\n".join(rows), skip_invalid=True)
    assert len(result.imported) == 2
    assert result.errors[0]["row"] == 4 and "early-career" in result.errors[0]["errors"][0]


def test_dry_run_writes_nothing(world):
    result = run_import(world, HEADER + "\n".join(GOOD), dry_run=True)
    assert result.valid_rows == 2 and result.imported == []
    assert specialists(world.runtime) == 0


def test_another_hubs_school_is_not_found_to_a_hub_lead(world):
    from workflow.services import setup
    from workflow.services.auth import Actor, Role

    with world.runtime.uow() as uow:
        south = setup.hub_by_code(uow.session, "south").id
    lead = Actor("lead@south.example", Role.HUB_LEAD, south)
    result = import_nominations(
        world.runtime.uow(), lead, (HEADER + GOOD[0]).encode(), 9, world.clock.now()
    )
    assert result.errors == [{"row": 2, "errors": ["school with URN 100001 not found"]}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00u\x00r\x00n", "not UTF-8"),
        (b"", "the file is empty"),
        (b"urn,name\n100001,Ada\n", "missing column(s): email, qts, teaching_since"),
        (b'urn,name,email,qts,teaching_since\n"unterminated', None),
    ],
)
def test_a_file_that_is_not_our_csv_is_one_error(world, data, message):
    try:
        result = run_import(world, data)
    except InvalidInput as exc:
        assert message is None or message in str(exc)
        assert "\n" not in str(exc)
    else:  # an unterminated quote is read as one (bad) row, not a crash
        assert message is None and result.imported == [] and result.errors
    assert specialists(world.runtime) == 0


CELLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["=HYPERLINK(\"http://x\",\"y\")", "+1", "-1", "@SUM(A1)", "yes", "no",
                     "100001", "2015-09-01", "a@b.example", "x" * 5000]),
)  # fmt: skip
HEADERS = st.lists(
    st.sampled_from(["urn", "name", "email", "qts", "teaching_since", "notes", "URN", ""]),
    min_size=0,
    max_size=7,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=HEADERS,
    rows=st.lists(st.lists(CELLS, max_size=7), max_size=6),
    noise=st.binary(max_size=40),
    use_noise=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
)
def test_generated_files_never_crash_and_never_partly_import(
    header, rows, noise, use_noise, encoding, sqlite_template, tmp_path_factory
):
    url = fresh_sqlite_url(sqlite_template, tmp_path_factory.mktemp("imp"))
    clock = FixedClock(datetime(2025, 6, 2, 9, tzinfo=UTC))
    runtime = bootstrap(Settings(database_url=url), clock=clock)
    try:
        build_world(runtime, clock)
        lines = [",".join(header)] + [",".join(r) for r in rows]
        text = "\r\n".join(lines)
        try:
            data = noise if use_noise else text.encode(encoding, errors="replace")
        except UnicodeError:
            data = text.encode("utf-8")
        with runtime.uow() as uow:
            outbox_before = uow.session.scalar(select(func.count(OutboxMessage.id)))
        try:
            result = import_nominations(runtime.uow(), ADMIN, data, 9, clock.now())
        except WorkflowError as exc:
            assert "\n" not in str(exc)
            assert specialists(runtime) == 0
            return
        count = specialists(runtime)
        if result.errors:
            assert result.imported == [] and count == 0
        else:
            assert count == len(result.imported)
        with runtime.uow() as uow:
            outbox = uow.session.scalar(select(func.count(OutboxMessage.id)))
        assert outbox - outbox_before == 2 * len(result.imported)
    finally:
        runtime.close()


def test_an_import_after_the_window_closed_is_refused_row_by_row(world):
    world.clock.set(datetime(2025, 7, 12, 9, tzinfo=UTC))
    result = run_import(world, HEADER + "\n".join(GOOD))
    assert result.imported == [] and [e["row"] for e in result.errors] == [2, 3]
    assert all(
        e["errors"]
        == [
            "nominations for cohort 9 are taken from Monday 28 April 2025 until Friday 11 July "
            "2025, 5pm: the window has closed"
        ]
        for e in result.errors
    )
    assert specialists(world.runtime) == 0
