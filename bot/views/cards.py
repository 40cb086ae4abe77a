"""The appeal card staff see: every field, the confidentiality flag first.

The card is one message that is edited on every change, so it must stay within Telegram's
4,096 characters whatever the owner typed: long fields are shortened on it (on a word, with
"…"), and the appeal's full text is posted once in the topic next to the card
(`full_text`, sent by bot/telegram/topics.py when `shortened` says it is needed).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.domain import form
from bot.domain.calendar import WorkCalendar
from bot.domain.catalog import is_known_locality
from bot.domain.lifecycle import STATUS
from bot.domain.workflow import is_overdue
from bot.i18n import Translator
from bot.telegram.texts import TEXT_LIMIT, shorten, utf16_len, visible_length
from models import Appeal, ApplicantKind, Hearing

# The most of each field the card shows, counted as Telegram counts. With every field at the
# form's maximum (name 200, company 300, locality 200, body 500, description 4,000) and every
# optional line, the card still keeps well under TEXT_LIMIT (tests/test_long_texts.py).
CARD_CHARS = {
    "applicant_name": 150,
    "applicant_company": 200,
    "locality": 150,
    "body": 300,
    "description": 2000,
}
PLACE_CHARS = 200
ASSIGNEE_CHARS = 100
STATUS_ICONS = {status.value: spec.icon for status, spec in STATUS.items()}
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


def _field(appeal: Appeal, name: str) -> str:
    return str(getattr(appeal, name) or "")


def shortened(appeal: Appeal) -> bool:
    """Whether the card shows a field of the appeal shortened (then its full text is posted)."""
    shown = dict(CARD_CHARS)
    if is_known_locality(appeal.locality):
        del shown["locality"]
    if appeal.applicant_kind != ApplicantKind.LEGAL_ENTITY:
        del shown["applicant_company"]
    return any(utf16_len(_field(appeal, name)) > limit for name, limit in shown.items())


def full_text(t: Translator, appeal: Appeal) -> str:
    """The fields the card may shorten, whole (HTML; split it to send)."""
    lines = [
        t("staff.card.full_title", number=appeal.number),
        "",
        t(
            "staff.card.applicant",
            name=escape(appeal.applicant_name),
            kind=t(f"form.applicant_kind.{appeal.applicant_kind}"),
        ),
    ]
    if appeal.applicant_kind == ApplicantKind.LEGAL_ENTITY and appeal.applicant_company:
        lines.append(t("staff.card.company", company=escape(appeal.applicant_company)))
    if not is_known_locality(appeal.locality):
        lines.append(t("staff.card.locality", value=escape(appeal.locality)))
    lines += [
        t("staff.card.body", value=escape(appeal.body)),
        t("staff.card.description", value=escape(appeal.description)),
    ]
    return "\n".join(lines)


def card_text(
    t: Translator,
    appeal: Appeal,
    *,
    owner_language: str | None,
    calendar: WorkCalendar,
    now: datetime,
    attachments: int,
    hearing: Hearing | None = None,
    consent_withdrawn_at: datetime | None = None,
) -> str:
    when = "%d.%m.%Y %H:%M"
    status = t(f"status.{appeal.status}")
    if is_overdue(appeal, now):
        status += t("staff.card.overdue")

    def cut(name: str, limit: int | None = None) -> str:
        return escape(shorten(_field(appeal, name), limit or CARD_CHARS[name]))

    lines = [
        t("staff.card.title", number=appeal.number),
        t("staff.card.confidential") if appeal.confidential else t("staff.card.disclosable"),
    ]
    day = "%d.%m.%Y"
    if consent_withdrawn_at is not None:
        date = calendar.local(consent_withdrawn_at).strftime(day)
        lines.append(t("privacy.staff.card_withdrawn", date=date))
    if appeal.anonymised_at is not None:
        date = calendar.local(appeal.anonymised_at).strftime(day)
        lines.append(t("privacy.staff.card_anonymised", date=date))
    lines += [
        "",
        t("staff.card.status", status=status),
        t("staff.card.registered", date=calendar.local(appeal.registered_at).strftime(when)),
        t("staff.card.due", date=calendar.local(appeal.due_at).strftime("%d.%m.%Y")),
        t("staff.card.assigned", name=cut("assigned_staff_name", ASSIGNEE_CHARS))
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
                place=escape(shorten(hearing.place, PLACE_CHARS)),
            )
        )
    lines += [
        "",
        t(
            "staff.card.applicant",
            name=cut("applicant_name"),
            kind=t(f"form.applicant_kind.{appeal.applicant_kind}"),
        ),
    ]
    if appeal.applicant_kind == ApplicantKind.LEGAL_ENTITY and appeal.applicant_company:
        lines.append(t("staff.card.company", company=cut("applicant_company")))
    lines += [
        t("staff.card.iin_bin", iin_bin=appeal.applicant_iin_bin),
        t("staff.card.phone", phone=appeal.applicant_phone),
        t("staff.card.language", language=t(f"staff.card.language_{owner_language or 'kk'}")),
        "",
    ]
    # The form's own fields, in the form's order (bot/domain/form.py, `Row.staff_card`).
    for step in form.staff_card_steps():
        assert step.row is not None and step.row.staff_card and step.appeal
        raw = _field(appeal, step.appeal)
        if step.row.show == "option" and raw in step.options:
            value = t(step.label_key(raw))
        else:
            value = cut(step.appeal) if step.appeal in CARD_CHARS else escape(raw)
        lines.append(t(f"staff.card.{step.row.staff_card}", value=value))
    ending = [t("staff.card.files", count=attachments)]
    if shortened(appeal):
        ending.append(t("staff.card.shortened"))
    text = "\n".join([*lines, t("staff.card.description", value=cut("description")), *ending])
    # Unreachable with the form's limits; kept so that no input can make the card unsendable.
    limit = CARD_CHARS["description"]
    while visible_length(text) > TEXT_LIMIT and limit > 1:
        limit = max(limit - (visible_length(text) - TEXT_LIMIT) - 1, 1)
        text = "\n".join(
            [*lines, t("staff.card.description", value=cut("description", limit)), *ending]
        )
    return text
