"""What people read about an investment project: the dialogue's summary, the staff card,
the investor's card and list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from bot.domain import invest_form
from bot.domain.calendar import WorkCalendar
from bot.domain.invest import spaced
from bot.i18n import Translator
from models import Appeal, InvestmentProject, ProjectEvent

DAY = "%d.%m.%Y"
LONG = 1500  # characters of a long answer shown on a card

# Project columns of the answers whose names differ.
COLUMNS = {"amount": "amount_tenge", "phone": "contact_phone"}


def shown(t: Translator, step: invest_form.Step, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if step.show == "option" and str(value) in step.options:
        return t(step.label_key(str(value)))
    if step.show == "tenge":
        return t("invest.tenge", amount=spaced(int(value)))
    if step.show == "count":
        return spaced(int(value))
    text = str(value)
    return escape(text if len(text) <= LONG else text[:LONG] + "…")


def summary_text(t: Translator, answers: Mapping[str, Any]) -> str:
    lines = [t("invest.summary.title"), ""]
    for step in invest_form.summary_steps(answers):
        lines.append(f"<b>{t(step.label)}:</b> {shown(t, step, answers.get(step.field or ''))}")
    lines += ["", t("invest.summary.check")]
    return "\n".join(lines)


def _value(project: InvestmentProject, step: invest_form.Step) -> Any:
    assert step.field is not None
    return getattr(project, COLUMNS.get(step.field, step.field))


def _rows(t: Translator, project: InvestmentProject) -> list[str]:
    return [
        f"<b>{t(step.label)}:</b> {shown(t, step, _value(project, step))}"
        for step in invest_form.summary_steps({"locality": project.locality})
    ]


def _agreement(t: Translator, project: InvestmentProject) -> list[str]:
    if project.agreement_date is None or project.agreement_amount is None:
        return []
    return [
        t(
            "invest.card.agreement",
            date=project.agreement_date.strftime(DAY),
            agreement=escape(project.agreement_number or ""),
            amount=spaced(project.agreement_amount),
        )
    ]


def staff_card(
    t: Translator, project: InvestmentProject, calendar: WorkCalendar, *, language: str
) -> str:
    lines = [
        t("invest.card.title", number=project.number),
        t("invest.card.status", status=t(f"invest.status.{project.status}")),
        t("invest.card.registered", date=calendar.local(project.registered_at).strftime(DAY)),
        t("invest.card.language", language=t(f"invest.language.{language}")),
        "",
        *_rows(t, project),
        *_agreement(t, project),
    ]
    if project.decline_reason:
        lines.append(t("invest.card.declined", reason=escape(project.decline_reason)))
    return "\n".join(lines)


def topic_name(t: Translator, project: InvestmentProject) -> str:
    name = t(
        "invest.topic",
        number=project.number,
        company=project.company,
        status=t(f"invest.status.{project.status}"),
    )
    return name[:128]  # Telegram's limit for a topic's name


def investor_card(
    t: Translator,
    project: InvestmentProject,
    events: Sequence[ProjectEvent],
    obstacles: Sequence[Appeal],
    calendar: WorkCalendar,
) -> str:
    lines = [
        t("invest.my.card_title", number=project.number),
        t("invest.card.status", status=t(f"invest.status.{project.status}")),
        t("invest.card.registered", date=calendar.local(project.registered_at).strftime(DAY)),
        "",
        *_rows(t, project),
        *_agreement(t, project),
    ]
    if project.decline_reason:
        lines.append(t("invest.card.declined", reason=escape(project.decline_reason)))
    if obstacles:
        numbers = ", ".join(appeal.number for appeal in obstacles)
        lines += ["", t("invest.my.obstacles", numbers=numbers)]
    lines += ["", t("invest.my.history")]
    for event in events:
        when = calendar.local(event.created_at).strftime("%d.%m.%Y %H:%M")
        lines.append(
            t("invest.my.history_line", date=when, status=t(f"invest.status.{event.to_status}"))
        )
    return "\n".join(lines)


def project_list(t: Translator, projects: Sequence[InvestmentProject]) -> str:
    lines = [t("invest.my.title")]
    for project in projects:
        lines.append(
            t(
                "invest.my.line",
                number=project.number,
                company=escape(project.company),
                status=t(f"invest.status.{project.status}"),
            )
        )
    lines += ["", t("invest.my.open_hint")]
    return "\n".join(lines)


def local_date(calendar: WorkCalendar, moment: datetime) -> str:
    return calendar.local(moment).strftime(DAY)
