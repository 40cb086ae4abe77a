"""The register as an .xlsx workbook: a sheet of appeals (the journal of registration) and a
sheet of investment projects, headed in the staff language (/export, the monthly report)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.calendar import WorkCalendar
from bot.domain.catalog import LOCALITIES
from bot.domain.periods import Period
from bot.domain.register import (
    MAX_BYTES,
    AppealRow,
    ProjectRow,
    RegisterTooLarge,
    Staff,
    collect,
    record_full_register,
)
from bot.i18n import Translator

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

Cell = str | int | date | None
DATE_FORMAT = "DD.MM.YYYY"
MONEY_FORMAT = "#,##0"
APPEAL_COLUMNS = (
    "number",
    "registered",
    "answered",
    "type",
    "category",
    "locality",
    "body",
    "status",
    "outcome",
    "days_taken",
    "on_time",
    "applicant",
    "iin_bin",
    "phone",
)
PROJECT_COLUMNS = (
    "number",
    "registered",
    "company",
    "bin",
    "project",
    "industry",
    "locality",
    "amount",
    "jobs",
    "stage",
    "status",
    "agreement_date",
    "agreement_number",
    "agreement_amount",
    "contact",
    "phone",
)
MONEY_COLUMNS = frozenset({"amount", "agreement_amount"})


def locality_label(t: Translator, value: str) -> str:
    """The form's locality in the staff language; a place typed by hand as typed."""
    return t(f"locality.{value}") if value in LOCALITIES else value


def appeal_cells(t: Translator, row: AppealRow) -> list[Cell]:
    return [
        row.number,
        row.registered,
        row.answered,
        t(f"appeal_type.{row.appeal_type}"),
        t(f"category.{row.category}"),
        locality_label(t, row.locality),
        row.body,
        t(f"status.{row.status}"),
        None if row.outcome is None else t(f"staff.outcome.{row.outcome}"),
        row.days_taken,
        None if row.on_time is None else t("registers.yes" if row.on_time else "registers.no"),
        row.applicant,
        row.iin_bin,
        row.phone,
    ]


def project_cells(t: Translator, row: ProjectRow) -> list[Cell]:
    return [
        row.number,
        row.registered,
        row.company,
        row.bin,
        row.project,
        row.industry,
        locality_label(t, row.locality),
        row.amount,
        row.jobs,
        t(f"registers.stage.{row.stage}"),
        t(f"registers.project_status.{row.status}"),
        row.agreement_date,
        row.agreement_number,
        row.agreement_amount,
        row.contact,
        row.phone,
    ]


def _fill(
    sheet: Worksheet,
    t: Translator,
    prefix: str,
    columns: Sequence[str],
    rows: Sequence[Any],
    cells: Callable[[Translator, Any], list[Cell]],
) -> None:
    sheet.append([t(f"{prefix}.{column}") for column in columns])
    for row in rows:
        sheet.append(cells(t, row))
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        values = [str(c.value) for c in sheet[letter] if c.value is not None]
        sheet.column_dimensions[letter].width = min(max(map(len, values), default=8) + 2, 60)
        for cell in sheet[letter][1:]:
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif column in MONEY_COLUMNS:
                cell.number_format = MONEY_FORMAT
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def workbook_bytes(
    t: Translator,
    period: Period,
    appeals: Sequence[AppealRow],
    projects: Sequence[ProjectRow],
    now: datetime,
) -> bytes:
    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    first.title = t("registers.sheet.appeals")
    _fill(first, t, "registers.appeal", APPEAL_COLUMNS, appeals, appeal_cells)
    second = book.create_sheet(t("registers.sheet.projects"))
    _fill(second, t, "registers.project", PROJECT_COLUMNS, projects, project_cells)
    # The properties say what the file is, nothing about anyone in it.
    book.properties.title = t("registers.title", period=period.label())
    book.properties.creator = book.properties.lastModifiedBy = None
    # The bot's clock (the sandbox's too), as naive UTC: what the file format stores.
    book.properties.created = now.astimezone(UTC).replace(tzinfo=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_name(period: Period, *, full: bool) -> str:
    kind = "register-full" if full else "register"
    return f"{kind}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"


@dataclass(frozen=True)
class RegisterFile:
    name: str
    content: bytes
    appeals: int
    projects: int


async def build_register(
    session: AsyncSession,
    period: Period,
    calendar: WorkCalendar,
    t: Translator,
    *,
    full: bool,
    now: datetime,
    staff: Staff | None = None,
) -> RegisterFile:
    """The workbook and what it counts. A full register needs `staff` and is recorded
    (AuditEvent) in the caller's transaction; RegisterTooLarge before anything is recorded."""
    if full and staff is None:
        raise ValueError("a full register is taken by a staff member, who is recorded")
    register = await collect(session, period, calendar, full=full)
    content = workbook_bytes(t, period, register.appeals, register.projects, now)
    if len(content) > MAX_BYTES:
        raise RegisterTooLarge(len(content))
    if full:
        assert staff is not None
        await record_full_register(session, period, staff, now)
    return RegisterFile(
        file_name(period, full=full), content, len(register.appeals), len(register.projects)
    )


async def register_file(
    session: AsyncSession,
    period: Period,
    calendar: WorkCalendar,
    t: Translator,
    *,
    full: bool,
    now: datetime,
    staff: Staff | None = None,
) -> tuple[str, bytes]:
    """The file name and the workbook (the monthly report: full=False)."""
    built = await build_register(session, period, calendar, t, full=full, now=now, staff=staff)
    return built.name, built.content
