"""What an import tells the person running it: progress as it goes, and a file separated
by semicolons or tabs named as such (not "missing columns")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.conftest import ADMIN
from workflow.db.models import Cohort
from workflow.errors import InvalidInput
from workflow.services.imports import import_nominations

HEADER = "urn,name,email,qts,teaching_since\n"


def test_progress_is_reported_up_to_twice_the_rows(world):
    with world.runtime.uow() as uow:  # a cohort that takes many nominees from one school
        cohort = uow.session.scalar(select(Cohort).where(Cohort.number == 9))
        cohort.nominees_per_school = 200
        uow.commit()
    rows = "".join(f"100001,Teacher {n},t{n}@school.example,yes,2015-09-01\n" for n in range(120))
    seen: list[tuple[int, int]] = []
    result = import_nominations(
        world.runtime.uow(), ADMIN, (HEADER + rows).encode(), 9, world.clock.now(),
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert len(result.imported) == 120
    assert seen[-1] == (240, 240)  # checked, then stored
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize(("separator", "named"), [(";", "';'"), ("\t", "tabs")])
def test_a_file_not_separated_by_commas_is_named_as_such(world, separator, named):
    text = HEADER.replace(",", separator) + separator.join(
        ["100001", "Ada", "ada@school.example", "yes", "2015-09-01"]
    )
    with pytest.raises(InvalidInput, match=f"separated by {named}, not commas"):
        import_nominations(world.runtime.uow(), ADMIN, text.encode(), 9, world.clock.now())
