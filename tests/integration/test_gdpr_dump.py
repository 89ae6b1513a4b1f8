"""``workflow db dump --redacted``: from SQLite and PostgreSQL, a SQLite copy holding no name
or address of anyone, with every row, id and amount, and the same funding report."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from tests.integration.gdpr_support import find_everywhere, keyed_runtime, paid_year1_specialist
from workflow.bootstrap import bootstrap
from workflow.cli.main import cli
from workflow.config import Settings
from workflow.db.models import Base, School, Specialist, Staff
from workflow.errors import InvalidInput, NotPermitted
from workflow.services import staff
from workflow.services.auth import Actor, Role
from workflow.services.funding import funding_report
from workflow.services.gdpr.dump import dump_redacted


@pytest.fixture
def rt(database_url, clock, tmp_path):
    runtime = keyed_runtime(database_url, clock, tmp_path)
    yield runtime
    runtime.close()


def people(runtime) -> list[str]:
    """Every name and address of a person the database holds."""
    with runtime.uow() as uow:
        s = uow.session
        values = [*s.execute(select(Specialist.name, Specialist.email)).all()]
        values += s.execute(select(Staff.name, Staff.email)).all()
        values += s.execute(select(School.head_name, School.head_email)).all()
        values += [(f,) for f in s.scalars(select(School.finance_email)) if f]
    return sorted({v for row in values for v in row} | {"staff@south.example"})


def counts(runtime) -> dict[str, int]:
    """Rows per table (the tallies: those not fallen to 0, the only ones that say anything)."""
    with runtime.uow() as uow:
        return {
            t.name: uow.session.scalar(
                select(func.count())
                .select_from(t)
                .where(*([t.c.count > 0] if t.name == "specialist_tallies" else []))
            )
            for t in Base.metadata.sorted_tables
        }


def test_the_redacted_dump_holds_no_one_and_behaves_as_the_original(rt, clock, tmp_path):
    paid_year1_specialist(rt, clock)
    staff.init(rt.uow(), "root@mathshubs.example", "Rosalind Root", clock.now())
    names_and_addresses = people(rt)
    assert len(names_and_addresses) >= 8
    assert len(find_everywhere(rt.engine, names_and_addresses)) > 10  # spread through the source
    path = tmp_path / "copy.db"

    copied = dump_redacted(rt.engine, ADMIN, path)

    copy = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)
    try:
        assert find_everywhere(copy.engine, names_and_addresses) == []
        assert copied == counts(rt) == counts(copy)
        with rt.uow() as a, copy.uow() as b:
            assert (
                funding_report(a.session, ADMIN, 9).as_dict()
                == funding_report(b.session, ADMIN, 9).as_dict()
            )
            assert b.session.get(Specialist, 2).name == "Specialist 2"
            token_hashes = b.session.scalars(select(Staff.token_hash)).all()
        assert token_hashes == ["[redacted]"]
    finally:
        copy.close()


def test_a_dump_is_refused_over_an_existing_file_or_to_anyone_but_a_national_admin(
    rt, clock, tmp_path
):
    existing = tmp_path / "there.db"
    existing.write_text("keep me")
    with pytest.raises(InvalidInput, match="exists already"):
        dump_redacted(rt.engine, ADMIN, existing)
    assert existing.read_text() == "keep me"
    with pytest.raises(NotPermitted):
        dump_redacted(rt.engine, Actor("lead@hub.example", Role.HUB_LEAD, 1), tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_command(rt, clock, tmp_path, monkeypatch):
    token = staff.init(rt.uow(), "root@mathshubs.example", "Rosalind Root", clock.now())
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("WORKFLOW_TOKEN", token)
    path = tmp_path / "copy.db"
    result = CliRunner().invoke(cli, ["db", "dump", "--redacted", str(path)])
    assert result.exit_code == 0, result.output
    assert "written to" in result.output and path.exists()
    missing = CliRunner().invoke(cli, ["db", "dump", str(tmp_path / "y.db")])
    assert missing.exit_code == 2 and not (tmp_path / "y.db").exists()
