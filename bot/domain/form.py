"""The appeal dialogue as data: one row per step, and everything else derived from the rows.

The order of the rows is the order of the dialogue. From them come: which step is next (with
the conditional ones), what a step waits for, "step N of M", the summary with its Edit
buttons, the owner's and staff's cards, the answers kept in the dialogue data, and what
submission writes to the Appeal and User rows. Texts are catalog keys; the Telegram edge
(handlers/appeal_*.py) renders them. No aiogram here. Why a table: docs/form.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from bot.domain import catalog
from bot.domain.validation import Invalid, check_full_name, check_iin_bin, clean_text
from bot.domain.validation import normalise_phone as _normalise_phone
from models import ApplicantKind

Answers = Mapping[str, Any]
# consent and profile are choices with an effect of their own (record consent, reuse the
# saved profile); the others are handled by kind alone.
Kind = Literal["consent", "profile", "choice", "text", "contact", "files", "summary"]
# How a summary or card value is shown: as typed; as typed, cut; an option's label (or as
# typed, for a free answer); a count of files; yes/no.
Show = Literal["text", "long", "option", "count", "flag"]


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What a step's condition and check look at: the answers so far, and about the owner."""

    answers: Answers
    consented: bool = False
    has_profile: bool = False
    today: date | None = None

    @property
    def legal(self) -> bool:
        return is_legal_entity(self.answers)


@dataclass(frozen=True)
class Refusal:
    """A wrong answer: the catalog key of what to say, with its values."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


Check = Callable[[str, Facts], "str | Refusal"]


@dataclass(frozen=True, kw_only=True)
class Row:
    """The step's line in the summary (`form.summary.<label>`) and on the cards."""

    label: str
    show: Show = "text"
    # Flag: catalog prefix of its `.yes` / `.no`.
    flag: str = ""
    # On the owner's card of a filed appeal ("My appeals").
    owner_card: bool = False
    # The staff card's line, `staff.card.<key>` with {value}; None: not listed there this way.
    staff_card: str | None = None


def always(facts: Facts) -> bool:
    return True


@dataclass(frozen=True, kw_only=True)
class Step:
    name: str  # also the FSM state's name: NewAppeal:<name>
    kind: Kind
    # Key of the answer in the dialogue data.
    field: str | None = None
    # The question: catalog key and values; default `form.<name>.question`.
    question: Callable[[Facts], tuple[str, dict[str, Any]]] | None = None
    # Choices: the values offered, the catalog key of their labels ({value}), columns.
    options: tuple[str, ...] = ()
    option_label: str = ""
    columns: int = 1
    # Text and contact: the check, giving the value to store or a refusal.
    check: Check | None = None
    # Choices: the answers a chosen value sets; default {field: value}.
    store: Callable[[str], dict[str, Any]] | None = None
    # Said after a valid contact/text answer (catalog key, with {<field>}).
    confirm: str | None = None
    when: Callable[[Facts], bool] = always
    # Asked right after `follows` also when that step is edited from the summary;
    # `keep_answer`: then only if it has no answer yet.
    follows: str | None = None
    keep_answer: bool = False
    # "Step N of M": numbered steps count; a step that shares takes the previous number.
    numbered: bool = True
    shares_number: bool = False
    row: Row | None = None
    # Where submission stores the answer: Appeal column; User column (the saved profile,
    # offered again on the next appeal, whose reuse skips these steps).
    appeal: str | None = None
    profile: str | None = None
    empty: Any = None  # stored when there is no answer
    required: bool = False
    # Checked again at submission: a saved profile may predate stricter checks.
    recheck: bool = False
    searchable: bool = False
    # Personal data: erased when the appeal is anonymised, listed in the owner's data export.
    personal: bool = False
    # A valid answer of the sample entrepreneur (typed text, or the option pressed), for the
    # docs, the tests and the bench to give: see example_answers().
    example: str = ""

    def applies(self, facts: Facts) -> bool:
        return self.when(facts)

    def prompt(self, facts: Facts) -> tuple[str, dict[str, Any]]:
        if self.question is not None:
            return self.question(facts)
        return f"form.{self.name}.question", {}

    def label_key(self, value: str) -> str:
        return self.option_label.format(value=value)

    def answers_for(self, value: str) -> dict[str, Any]:
        """The answers a chosen option sets."""
        if self.store is not None:
            return self.store(value)
        return {self.field: value} if self.field else {}

    @property
    def expects(self) -> str:
        """What the step waits for; decides the hint given for anything else."""
        return {"text": "text", "contact": "contact", "files": "files"}.get(self.kind, "buttons")


# --- helpers of the rows --------------------------------------------------------------------


def is_legal_entity(answers: Answers) -> bool:
    return answers.get("applicant_kind") == ApplicantKind.LEGAL_ENTITY.value


def bounded(low: int, high: int, refusal: str) -> Check:
    """A cleaned text of `low` to `high` characters."""

    def check(raw: str, facts: Facts) -> str | Refusal:
        text = clean_text(raw)
        return text if low <= len(text) <= high else Refusal(refusal)

    return check


def _full_name(raw: str, facts: Facts) -> str | Refusal:
    result = check_full_name(raw)
    if isinstance(result, Invalid):
        return Refusal(f"form.full_name.invalid_{result.reason}")
    return result


def _iin_bin(raw: str, facts: Facts) -> str | Refusal:
    assert facts.today is not None
    result = check_iin_bin(raw, legal_entity=facts.legal, today=facts.today)
    if isinstance(result, Invalid):
        return Refusal(f"form.iin_bin.invalid_{result.reason}")
    return result


def _phone(raw: str, facts: Facts) -> str | Refusal:
    phone = _normalise_phone(raw)
    return Refusal("form.phone.invalid") if phone is None else phone


def _place(raw: str, facts: Facts) -> str | Refusal:
    place = bounded(2, 200, "form.locality.invalid")(raw, facts)
    if isinstance(place, str) and catalog.is_known_locality(place):
        return Refusal("form.locality.invalid")
    return place


def _description(raw: str, facts: Facts) -> str | Refusal:
    text = clean_text(raw)
    low, high = catalog.DESCRIPTION_MIN, catalog.DESCRIPTION_MAX
    if len(text) < low:
        return Refusal("form.description.too_short", {"length": len(text), "min": low})
    if len(text) > high:
        values = {"length": len(text), "max": high, "excess": len(text) - high}
        return Refusal("form.description.too_long", values)
    return text


def _kind(value: str) -> dict[str, Any]:
    update: dict[str, Any] = {"applicant_kind": value}
    if value != ApplicantKind.LEGAL_ENTITY.value:
        update["company"] = None
    return update


def _other_place(facts: Facts) -> bool:
    return facts.answers.get("locality") == catalog.OTHER_LOCALITY


# --- the table ------------------------------------------------------------------------------

STEPS: tuple[Step, ...] = (
    Step(
        name="consent",
        kind="consent",
        question=lambda f: ("form.consent.question", {"version": catalog.CONSENT_VERSION}),
        options=("agree", "refuse"),
        option_label="form.consent.{value}",
        when=lambda f: not f.consented,
        numbered=False,
        example="agree",
    ),
    Step(
        name="profile",
        kind="profile",
        options=("reuse", "anew"),
        option_label="form.profile.{value}",
        when=lambda f: f.has_profile,
        numbered=False,
        example="reuse",
    ),
    Step(
        name="full_name",
        kind="text",
        field="full_name",
        check=_full_name,
        row=Row(label="name"),
        appeal="applicant_name",
        profile="full_name",
        required=True,
        searchable=True,
        example="Жұмабаева Асель Маратқызы",
        personal=True,
    ),
    Step(
        name="applicant_kind",
        kind="choice",
        field="applicant_kind",
        options=tuple(kind.value for kind in ApplicantKind),
        option_label="form.applicant_kind.{value}",
        store=_kind,
        row=Row(label="kind", show="option"),
        appeal="applicant_kind",
        profile="applicant_kind",
        required=True,
        example="ie",
    ),
    Step(
        name="iin_bin",
        kind="text",
        field="iin_bin",
        question=lambda f: (f"form.iin_bin.question_{'le' if f.legal else 'ie'}", {}),
        check=_iin_bin,
        follows="applicant_kind",
        row=Row(label="iin_bin"),
        appeal="applicant_iin_bin",
        profile="iin_bin",
        required=True,
        recheck=True,
        searchable=True,
        example="900101300017",
        personal=True,
    ),
    Step(
        name="company",
        kind="text",
        field="company",
        check=bounded(2, 300, "form.company.invalid"),
        when=lambda f: f.legal,
        follows="iin_bin",
        keep_answer=True,
        shares_number=True,
        row=Row(label="company"),
        appeal="applicant_company",
        profile="company",
        required=True,
        searchable=True,
        example="ТОО Шығыс Құрылыс",
        personal=True,
    ),
    Step(
        name="phone",
        kind="contact",
        field="phone",
        check=_phone,
        confirm="form.phone.saved",
        row=Row(label="phone"),
        appeal="applicant_phone",
        profile="phone",
        required=True,
        example="+77011112233",
        personal=True,
    ),
    Step(
        name="appeal_type",
        kind="choice",
        field="appeal_type",
        options=tuple(catalog.APPEAL_TYPES),
        option_label="appeal_type.{value}",
        row=Row(label="appeal_type", show="option", owner_card=True, staff_card="type"),
        appeal="appeal_type",
        required=True,
        example="complaint",
    ),
    Step(
        name="category",
        kind="choice",
        field="category",
        options=tuple(catalog.CATEGORIES),
        option_label="category.{value}",
        columns=2,
        row=Row(label="category", show="option", owner_card=True, staff_card="category"),
        appeal="category",
        required=True,
        example="inspections",
    ),
    Step(
        name="locality",
        kind="choice",
        field="locality",
        options=(*catalog.LOCALITIES, catalog.OTHER_LOCALITY),
        option_label="locality.{value}",
        columns=2,
        row=Row(label="locality", show="option", owner_card=True, staff_card="locality"),
        appeal="locality",
        required=True,
        example="ust_kamenogorsk",
    ),
    Step(
        name="locality_other",
        kind="text",
        field="locality",
        question=lambda f: ("form.locality.other_question", {}),
        check=_place,
        when=_other_place,
        follows="locality",
        shares_number=True,
        example="с. Новая Бухтарма",
    ),
    Step(
        name="body",
        kind="text",
        field="body",
        check=bounded(3, 500, "form.body.invalid"),
        row=Row(label="body", owner_card=True, staff_card="body"),
        appeal="body",
        required=True,
        searchable=True,
        example="ДГД по ВКО, инспектор Сериков",
    ),
    Step(
        name="description",
        kind="text",
        field="description",
        question=lambda f: (
            "form.description.question",
            {"min": catalog.DESCRIPTION_MIN, "max": catalog.DESCRIPTION_MAX},
        ),
        check=_description,
        example=(
            "Инспектор пришёл без предписания и требует деньги за «быстрое закрытие» проверки."
        ),
        row=Row(label="description", show="long", owner_card=True),
        appeal="description",
        required=True,
        searchable=True,
        personal=True,
    ),
    Step(
        name="attachments",
        kind="files",
        field="files",
        question=lambda f: (
            "form.attachments.question",
            {"limit": catalog.MAX_FILES, "size_mb": catalog.MAX_FILE_MB},
        ),
        options=("done", "skip"),
        option_label="form.attachments.{value}",
        columns=2,
        row=Row(label="files", show="count", owner_card=True),
        example="done",
    ),
    Step(
        name="confidentiality",
        kind="choice",
        field="confidential",
        options=("disclose", "keep"),
        option_label="form.confidentiality.{value}",
        store=lambda value: {"confidential": value == "keep"},
        row=Row(label="confidentiality", show="flag", flag="confidential"),
        appeal="confidential",
        empty=False,
        example="keep",
    ),
    Step(name="summary", kind="summary", numbered=False),
)

# --- derived --------------------------------------------------------------------------------

BY_NAME: dict[str, Step] = {step.name: step for step in STEPS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
# The answers a dialogue collects (keys of its data), in the order of the steps.
ANSWER_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        step.field for step in STEPS if step.field and step.kind not in ("consent", "profile")
    )
)
PROFILE_FIELDS: tuple[str, ...] = tuple(step.field for step in STEPS if step.profile and step.field)


def _numbers() -> dict[str, int]:
    numbers: dict[str, int] = {}
    current = 0
    for step in STEPS:
        if not step.numbered:
            continue
        if not step.shares_number:
            current += 1
        numbers[step.name] = current
    return numbers


NUMBERS: dict[str, int] = _numbers()
TOTAL: int = max(NUMBERS.values())


def step(name: str) -> Step:
    return BY_NAME[name]


def first_step(facts: Facts) -> str:
    return next(s.name for s in STEPS if s.applies(facts))


def next_step(
    name: str, facts: Facts, *, editing: bool = False, reused_profile: bool = False
) -> str:
    """The step after `name`, given the answers so far.

    Editing (a step opened from the summary): a step that follows the edited one is asked too
    when it applies, then the summary. `reused_profile`: the saved profile was taken, so the
    steps that fill it are skipped.
    """
    later = STEPS[NAMES.index(name) + 1 :]
    if editing:
        for candidate in later:
            if candidate.follows != name or not candidate.applies(facts):
                continue
            if candidate.keep_answer and facts.answers.get(candidate.field or ""):
                continue
            return candidate.name
        return "summary"
    for candidate in later:
        if reused_profile and (candidate.profile or candidate.kind == "profile"):
            continue
        if candidate.applies(facts):
            return candidate.name
    return "summary"


def summary_steps(facts: Facts) -> list[Step]:
    """The steps shown in the summary, each with its Edit button."""
    return [s for s in STEPS if s.row is not None and s.applies(facts)]


def problems(facts: Facts) -> list[tuple[Step, Refusal | None]]:
    """What stops submission, first to ask first: answers a check now refuses (with the
    refusal), then required answers missing."""
    found: list[tuple[Step, Refusal | None]] = []
    for s in STEPS:
        if s.recheck and s.check is not None and s.applies(facts):
            result = s.check(str(facts.answers.get(s.field or "") or ""), facts)
            if isinstance(result, Refusal):
                found.append((s, result if facts.answers.get(s.field or "") else None))
    for s in STEPS:
        if s.required and s.applies(facts) and not facts.answers.get(s.field or ""):
            found.append((s, None))
    return found


def stored(facts: Facts) -> Iterator[tuple[Step, Any]]:
    """(step, value to store) of every step that stores an answer; a step that does not
    apply stores nothing (say, the company of an entrepreneur)."""
    for s in STEPS:
        if s.field and (s.appeal or s.profile):
            value = facts.answers.get(s.field) if s.applies(facts) else None
            yield s, s.empty if value is None else value


def appeal_values(answers: Answers) -> dict[str, Any]:
    """Appeal column -> value, from the answers."""
    facts = Facts(answers=answers)
    return {s.appeal: value for s, value in stored(facts) if s.appeal}


def profile_values(answers: Answers) -> dict[str, Any]:
    """User column -> value, from the answers (the profile offered next time)."""
    facts = Facts(answers=answers)
    return {s.profile: value for s, value in stored(facts) if s.profile}


def searchable(answers: Answers) -> list[str | None]:
    facts = Facts(answers=answers)
    return [value for s, value in stored(facts) if s.searchable]


def card_steps() -> list[Step]:
    """The steps listed on the owner's card of a filed appeal."""
    return [s for s in STEPS if s.row is not None and s.row.owner_card]


def staff_card_steps() -> list[Step]:
    return [s for s in STEPS if s.row is not None and s.row.staff_card]


def example_answers() -> dict[str, str]:
    """The sample entrepreneur's answer to every step that has one, by step name."""
    return {row.name: row.example for row in STEPS if row.example}


def path(facts: Facts) -> list[str]:
    """The steps a dialogue visits, first to summary, for these facts (a saved profile, when
    offered, is reused): what tests and the bench walk."""
    steps = [first_step(facts)]
    while steps[-1] != "summary":
        steps.append(next_step(steps[-1], facts, reused_profile=steps[-1] == "profile"))
    return steps


def question_key(name: str, facts: Facts) -> str:
    """The catalog key of the question `name` asks (the summary: its title)."""
    if name == "summary":
        return "form.summary.title"
    return step(name).prompt(facts)[0]


def personal_columns() -> tuple[str, ...]:
    """The Appeal columns holding the owner's personal data (for anonymisation)."""
    return tuple(s.appeal for s in STEPS if s.personal and s.appeal)


def profile_columns() -> tuple[str, ...]:
    """The User columns of the saved profile (forgotten when consent is withdrawn)."""
    return tuple(s.profile for s in STEPS if s.profile)
