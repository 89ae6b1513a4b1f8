"""Importing nominations from a spreadsheet's CSV export, all or nothing.

Every row is checked before anything is written (eligibility, school and hub, duplicates
in the file and in the database, email, dates); the valid rows are then written in one
transaction, so a failure part-way leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput, NotFound, NotPermitted
from workflow.services.auth import Action, Actor, authorize, logs_refusals, record_refusal
from workflow.services.specialists import NominationRequest, check_nomination, store_nomination
from workflow.services.validation import clean_email

COLUMNS = ("urn", "name", "email", "qts", "teaching_since")
OPTIONAL = ("accredited_pd_lead",)  # yes/no, default no
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_FIELD = 1_000
QTS = {"yes": True, "y": True, "no": False, "n": False}


@dataclass
class ImportResult:
    imported: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    valid_rows: int = 0

    def as_dict(self) -> dict:
        return {"imported": self.imported, "errors": self.errors}


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """``(row number as a spreadsheet shows it, cells)``; one InvalidInput for a bad file."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'"
        ) from None
    if "\x00" in text:
        raise InvalidInput("the file is not CSV text (it contains NUL bytes)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInput("the file is empty: expected a header row " + ",".join(COLUMNS))
        names = [h.strip().lower() for h in header]
        missing = [c for c in COLUMNS if c not in names]
        other = next((sep for sep in (";", "\t", "|") if sep in ",".join(header)), None)
        if missing and other is not None and len(header) < len(COLUMNS):
            shown = "tabs" if other == "\t" else f"{other!r}"
            raise InvalidInput(
                f"the file is separated by {shown}, not commas: save it from the spreadsheet"
                " as 'CSV UTF-8 (comma delimited)'"
            )
        if missing:
            raise InvalidInput(
                f"missing column(s): {', '.join(missing)}; the header must include "
                + ",".join(COLUMNS)
            )
        index = {c: names.index(c) for c in (*COLUMNS, *OPTIONAL) if c in names}
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, as spreadsheets leave at the end
            if len(rows) >= MAX_ROWS:
                raise InvalidInput(f"more than {MAX_ROWS} rows; split the file")
            rows.append((number, {c: cells[i] if i < len(cells) else "" for c, i in index.items()}))
    except csv.Error as exc:
        raise InvalidInput(f"the file is not valid CSV: {exc}") from None
    return rows


def _parse(cells: dict[str, str], cohort: int) -> tuple[NominationRequest | None, list[str]]:
    errors = []
    for column, value in cells.items():
        if len(value) > MAX_FIELD:
            errors.append(f"{column} is longer than {MAX_FIELD} characters")
    if errors:
        return None, errors
    urn = cells["urn"].strip()
    if not (len(urn) == 6 and urn.isascii() and urn.isdigit()):
        errors.append(f"urn {urn!r} is not six digits")
    qts = QTS.get(cells["qts"].strip().lower())
    if qts is None:
        errors.append(f"qts {cells['qts']!r}: expected yes or no")
    accredited = QTS.get((cells.get("accredited_pd_lead") or "no").strip().lower())
    if accredited is None:
        errors.append(f"accredited_pd_lead {cells['accredited_pd_lead']!r}: expected yes or no")
    try:
        since = date.fromisoformat(cells["teaching_since"].strip())
    except ValueError:
        errors.append(f"teaching_since {cells['teaching_since']!r} is not a date like 2019-09-01")
        since = None
    if errors:
        return None, errors
    request = NominationRequest(
        cohort, urn, cells["name"], cells["email"], qts, since, accredited_pd_lead=accredited
    )
    return request, []


@logs_refusals("import nominations")
def import_nominations(
    uow: UnitOfWork,
    actor: Actor,
    data: bytes,
    cohort: int,
    now: datetime,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ImportResult:
    """Check every row, then store them all or none; ``progress(done, total)`` is called as
    rows are checked and stored (total: twice the rows)."""
    authorize(actor, Action.NOMINATE)
    rows = read_rows(data)
    result = ImportResult()
    refusals: list[tuple[str, str]] = []
    steps = _Steps(progress, 2 * len(rows))
    try:
        _check_and_store(
            uow, actor, rows, cohort, now, dry_run, skip_invalid, result, refusals, steps
        )
    finally:
        # Recorded after the import's own transaction ended (SQLite has one writer).
        for target, reason in refusals:
            record_refusal(uow, actor, "import nominations", target, reason, now)
    return result


class _Steps:
    def __init__(self, report: Callable[[int, int], None], total: int):
        self.report, self.total, self.done = report, total, 0

    def step(self) -> None:
        self.done += 1
        if self.done % 50 == 0 or self.done == self.total:
            self.report(self.done, self.total)


def _check_and_store(uow, actor, rows, cohort, now, dry_run, skip_invalid, result, refusals, steps):
    with uow:
        session = uow.session
        seen: dict[str, int] = {}
        by_school: dict[str, list[int]] = {}
        accepted = []
        for number, cells in rows:
            request, errors = _parse(cells, cohort)
            if request is not None:
                try:
                    reasons, school, cohort_row = check_nomination(session, actor, request, now)
                    errors += reasons
                except (NotFound, NotPermitted) as exc:  # unknown or another hub's school
                    errors.append(str(exc))
                    refusals.append((f"row {number}", str(exc)))
                except DomainError as exc:
                    errors.append(str(exc))
                try:
                    email = clean_email(request.email)
                    if email in seen:
                        errors.append(f"the same email as row {seen[email]}")
                    seen.setdefault(email, number)
                except InvalidInput:
                    pass  # already among the reasons
                earlier = by_school.setdefault(request.school_urn, [])
                if earlier and not errors:  # the cohort's limit counts the file's rows too
                    limit = cohort_row.nominees_per_school
                    if limit and len(earlier) >= limit:
                        errors.append(
                            f"school {request.school_urn} is nominated already in row "
                            f"{earlier[0]}; the cohort takes {limit} nominee(s) per school"
                        )
                if not errors:
                    earlier.append(number)
            steps.step()
            if errors:
                result.errors.append({"row": number, "errors": errors})
            else:
                accepted.append((request, school, cohort_row))
        result.valid_rows = len(accepted)
        if dry_run or (result.errors and not skip_invalid):
            return
        for request, school, cohort_row in accepted:
            result.imported.append(
                store_nomination(session, actor, request, school, cohort_row, now)
            )
            steps.step()
        uow.commit()
