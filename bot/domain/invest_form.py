"""The investor's dialogue as data: one row per step, in the order they are asked.

Like the appeal form (bot/domain/form.py), but for a legal entity asking the office to
accompany an investment project: consent, company and BIN, the project, its amount, jobs and
stage, what it expects from which bodies, the contact. Texts are catalog keys `invest.<step>.*`;
handlers/invest_dialogue.py renders them. No aiogram here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from bot.domain import catalog
from bot.domain.invest_amount import parse_amount
from bot.domain.validation import (
    Invalid,
    check_full_name,
    check_iin_bin,
    clean_text,
    normalise_phone,
)
from models import ProjectStage

Answers = Mapping[str, Any]
Kind = Literal["consent", "choice", "text", "contact", "summary"]
# How the summary and the cards show a value: as typed, an option's label (or as typed for a
# free answer), tenge, a whole number.
Show = Literal["text", "option", "tenge", "count"]

INDUSTRIES = (
    "agriculture",
    "manufacturing",
    "mining",
    "energy",
    "construction",
    "tourism",
    "logistics",
    "trade",
    "it",
    "other",
)
MAX_JOBS = 1_000_000
TEXT_MAX = 2000


@dataclass(frozen=True)
class Refusal:
    key: str
    values: dict[str, Any]


Check = Callable[[str, date], "Any | Refusal"]


@dataclass(frozen=True, kw_only=True)
class Step:
    name: str
    kind: Kind
    field: str | None = None
    options: tuple[str, ...] = ()
    # Catalog key of an option's label ({value}).
    option_label: str = ""
    columns: int = 1
    check: Check | None = None
    when: Callable[[Answers], bool] = lambda answers: True
    # Asked right after `follows` when that step is edited from the summary.
    follows: str | None = None
    # In the summary and on the cards, with this way of showing it.
    show: Show | None = None
    # Personal data: listed in the person's data export.
    personal: bool = False
    # The sample investor's answer (the text typed, or the option pressed), for tests.
    example: str = ""

    @property
    def question(self) -> str:
        return f"invest.{self.name}.question"

    @property
    def label(self) -> str:
        return f"invest.summary.{self.name}"

    def label_key(self, value: str) -> str:
        return self.option_label.format(value=value)

    @property
    def expects(self) -> str:
        return {"text": "text", "contact": "contact"}.get(self.kind, "buttons")


def bounded(low: int, high: int, name: str) -> Check:
    def check(raw: str, today: date) -> str | Refusal:
        text = clean_text(raw)
        if len(text) > high:
            return Refusal(f"invest.{name}.too_long", {"length": len(text), "max": high})
        return text if len(text) >= low else Refusal(f"invest.{name}.invalid", {"min": low})

    return check


def _bin(raw: str, today: date) -> str | Refusal:
    result = check_iin_bin(raw, legal_entity=True, today=today)
    if isinstance(result, Invalid):
        return Refusal(f"form.iin_bin.invalid_{result.reason}", {})
    return result


def _amount(raw: str, today: date) -> int | Refusal:
    amount = parse_amount(raw)
    return Refusal("invest.amount.invalid", {}) if amount is None else amount


def _jobs(raw: str, today: date) -> int | Refusal:
    digits = "".join(raw.split())
    if not digits.isdecimal() or int(digits) > MAX_JOBS:
        return Refusal("invest.jobs.invalid", {"max": MAX_JOBS})
    return int(digits)


def _place(raw: str, today: date) -> str | Refusal:
    place = clean_text(raw)
    if not 2 <= len(place) <= 200 or catalog.is_known_locality(place):
        return Refusal("form.locality.invalid", {})
    return place


def _name(raw: str, today: date) -> str | Refusal:
    result = check_full_name(raw)
    if isinstance(result, Invalid):
        return Refusal(f"form.full_name.invalid_{result.reason}", {})
    return result


def _phone(raw: str, today: date) -> str | Refusal:
    phone = normalise_phone(raw)
    return Refusal("form.phone.invalid", {}) if phone is None else phone


STEPS: tuple[Step, ...] = (
    Step(
        name="consent",
        kind="consent",
        options=("agree", "refuse"),
        option_label="invest.consent.{value}",
        example="agree",
    ),
    Step(
        name="company",
        kind="text",
        field="company",
        check=bounded(2, 300, "company"),
        show="text",
        personal=True,
        example="ТОО «Шығыс Агро»",
    ),
    Step(
        name="bin",
        kind="text",
        field="bin",
        check=_bin,
        show="text",
        personal=True,
        example="940140000385",
    ),
    Step(
        name="project",
        kind="text",
        field="project",
        check=bounded(20, TEXT_MAX, "project"),
        show="text",
        example="Завод по переработке молока мощностью 50 тонн в сутки с цехом сыров",
    ),
    Step(
        name="industry",
        kind="choice",
        field="industry",
        options=INDUSTRIES,
        option_label="invest.industry.{value}",
        columns=2,
        show="option",
        example="agriculture",
    ),
    Step(
        name="locality",
        kind="choice",
        field="locality",
        options=(*catalog.LOCALITIES, catalog.OTHER_LOCALITY),
        option_label="locality.{value}",
        columns=2,
        show="option",
        example="glubokoe",
    ),
    Step(
        name="locality_other",
        kind="text",
        field="locality",
        check=_place,
        when=lambda answers: answers.get("locality") == catalog.OTHER_LOCALITY,
        follows="locality",
        example="с. Новая Бухтарма",
    ),
    Step(
        name="amount",
        kind="text",
        field="amount",
        check=_amount,
        show="tenge",
        example="1,5 млрд",
    ),
    Step(name="jobs", kind="text", field="jobs", check=_jobs, show="count", example="120"),
    Step(
        name="stage",
        kind="choice",
        field="stage",
        options=tuple(stage.value for stage in ProjectStage),
        option_label="invest.stage.{value}",
        columns=2,
        show="option",
        example="design",
    ),
    Step(
        name="needs",
        kind="text",
        field="needs",
        check=bounded(3, TEXT_MAX, "needs"),
        show="text",
        example="Земельный участок 5 га, разрешение на строительство, подключение к сетям",
    ),
    Step(
        name="bodies",
        kind="text",
        field="bodies",
        check=bounded(3, 1000, "bodies"),
        show="text",
        example="Акимат Глубоковского района, управление земельных отношений ВКО",
    ),
    Step(
        name="contact_name",
        kind="text",
        field="contact_name",
        check=_name,
        show="text",
        personal=True,
        example="Сериков Ерлан Болатович",
    ),
    Step(
        name="phone",
        kind="contact",
        field="phone",
        check=_phone,
        show="text",
        personal=True,
        example="+77011112233",
    ),
    Step(name="summary", kind="summary"),
)

BY_NAME: dict[str, Step] = {s.name: s for s in STEPS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
# The steps "step N of M" counts (consent and summary are not questions about the project;
# the typed locality shares the number of its list).
NUMBERED: tuple[str, ...] = tuple(
    s.name for s in STEPS if s.kind not in ("consent", "summary") and s.follows is None
)
TOTAL = len(NUMBERED)
FIELDS: tuple[str, ...] = tuple(dict.fromkeys(s.field for s in STEPS if s.field))


def step(name: str) -> Step:
    return BY_NAME[name]


def number_of(name: str) -> int | None:
    owner = step(name).follows or name
    return NUMBERED.index(owner) + 1 if owner in NUMBERED else None


def next_step(name: str, answers: Answers, *, editing: bool = False) -> str:
    """The step after `name`; when editing from the summary, only a step that follows the
    edited one (the typed locality after "another place"), then the summary."""
    later = STEPS[NAMES.index(name) + 1 :]
    for candidate in later:
        if editing and candidate.follows != name:
            continue
        if candidate.when(answers):
            return candidate.name
    return "summary"


def summary_steps(answers: Answers) -> list[Step]:
    return [s for s in STEPS if s.show is not None and s.when(answers)]


def missing(answers: Answers) -> Step | None:
    """The first step whose answer is missing (a damaged dialogue record), or None."""
    for s in STEPS:
        if s.field and s.when(answers) and answers.get(s.field) in (None, ""):
            return s
    return None


def is_known_option(s: Step, value: str) -> bool:
    return value in s.options


def example_answers() -> dict[str, str]:
    return {s.name: s.example for s in STEPS if s.example}


def path(answers: Answers) -> list[str]:
    steps = [STEPS[0].name]
    while steps[-1] != "summary":
        steps.append(next_step(steps[-1], answers))
    return steps
