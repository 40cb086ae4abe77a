"""The appeal card staff see: every field, the confidentiality flag first."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.i18n import Translator
from bot.services.calendar import WorkCalendar
from bot.services.catalog import is_known_locality
from bot.services.workflow import is_overdue
from models import Appeal, ApplicantKind, Hearing

CARD_DESCRIPTION_CHARS = 2500
STATUS_ICONS = {
    "registered": "🆕",
    "in_review": "🔍",
    "needs_info": "❓",
    "hearing_scheduled": "📅",
    "answered": "✅",
    "redirected": "↪️",
    "not_considered": "⛔",
    "withdrawn": "↩️",
    "closed": "🔒",
}
TOPIC_NAME_LIMIT = 128


def short_name(full_name: str) -> str:
    """'Жұмабаева Асель Маратқызы' -> 'Жұмабаева А.'"""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return f"{parts[0]} {parts[1][0]}."


def topic_name(t: Translator, appeal: Appeal) -> str:
    icon = STATUS_ICONS.get(appeal.status, "")
    name = (
        f"{icon} {appeal.number} · {t(f'category.{appeal.category}')} · "
        f"{short_name(appeal.applicant_name)}"
    )
    return name[:TOPIC_NAME_LIMIT]


def card_text(
    t: Translator,
    appeal: Appeal,
    *,
    owner_language: str | None,
    calendar: WorkCalendar,
    now: datetime,
    attachments: int,
    hearing: Hearing | None = None,
) -> str:
    when = "%d.%m.%Y %H:%M"
    status = t(f"status.{appeal.status}")
    if is_overdue(appeal, now):
        status += t("staff.card.overdue")
    locality = (
        t(f"locality.{appeal.locality}")
        if is_known_locality(appeal.locality)
        else escape(appeal.locality)
    )
    description = appeal.description
    if len(description) > CARD_DESCRIPTION_CHARS:
        description = description[:CARD_DESCRIPTION_CHARS] + "…"
    lines = [
        t("staff.card.title", number=appeal.number),
        t("staff.card.confidential") if appeal.confidential else t("staff.card.disclosable"),
        "",
        t("staff.card.status", status=status),
        t("staff.card.registered", date=calendar.local(appeal.registered_at).strftime(when)),
        t("staff.card.due", date=calendar.local(appeal.due_at).strftime("%d.%m.%Y")),
        t("staff.card.assigned", name=escape(appeal.assigned_staff_name))
        if appeal.assigned_staff_name
        else t("staff.card.unassigned"),
    ]
    if appeal.outcome:
        lines.append(t("staff.card.outcome", value=t(f"staff.outcome.{appeal.outcome}")))
    if hearing is not None:
        starts = calendar.local(hearing.starts_at)
        lines.append(
            t(
                "staff.card.hearing",
                date=starts.strftime("%d.%m.%Y"),
                time=starts.strftime("%H:%M"),
                place=escape(hearing.place),
            )
        )
    lines += [
        "",
        t(
            "staff.card.applicant",
            name=escape(appeal.applicant_name),
            kind=t(f"form.applicant_kind.{appeal.applicant_kind}"),
        ),
    ]
    if appeal.applicant_kind == ApplicantKind.LEGAL_ENTITY and appeal.applicant_company:
        lines.append(t("staff.card.company", company=escape(appeal.applicant_company)))
    lines += [
        t("staff.card.iin_bin", iin_bin=appeal.applicant_iin_bin),
        t("staff.card.phone", phone=appeal.applicant_phone),
        t("staff.card.language", language=t(f"staff.card.language_{owner_language or 'kk'}")),
        "",
        t("staff.card.type", value=t(f"appeal_type.{appeal.appeal_type}")),
        t("staff.card.category", value=t(f"category.{appeal.category}")),
        t("staff.card.locality", value=locality),
        t("staff.card.body", value=escape(appeal.body)),
        t("staff.card.description", value=escape(description)),
        t("staff.card.files", count=attachments),
    ]
    return "\n".join(lines)
