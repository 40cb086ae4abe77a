"""Wording rules from the review of the catalogs (issue 11), checked over every value."""

from __future__ import annotations

import re

import pytest

from bot.i18n import load_catalog

KK = load_catalog("kk")
RU = load_catalog("ru")
STAFF_PREFIXES = ("staff.", "jobs.", "digest.", "failed.")

# A Kazakh case or possessive suffix depends on how the number is read (30-дан but 40-тан,
# 3-і but 2-сі), so none may be glued to a placeholder. An ordinal before its noun
# ("{number}-қадамы", "{page}-беті") is written with a hyphen for any number and is fine.
SUFFIX_ON_PLACEHOLDER = re.compile(r"\}-(?!қадам|бет)\w")
# A bare number or dd.mm.yyyy date cannot carry the case these words govern:
# write "{due} ж. дейін" or rephrase ("ең кеш күні — {limit}").
POSTPOSITION_AFTER_PLACEHOLDER = re.compile(
    r"\}\s+(дейін|кешіктірмей|қоса алғанда|бастап|кейін|бұрын|соң|өтіп)"
)


@pytest.mark.parametrize("pattern", [SUFFIX_ON_PLACEHOLDER, POSTPOSITION_AFTER_PLACEHOLDER])
def test_no_kazakh_case_ending_depends_on_a_placeholder(pattern: re.Pattern[str]) -> None:
    wrong = {key: value for key, value in KK.items() if pattern.search(value)}
    assert not wrong


def test_the_patterns_catch_the_old_texts() -> None:
    assert SUFFIX_ON_PLACEHOLDER.search("{min}-ден {max} таңбаға дейін")
    assert SUFFIX_ON_PLACEHOLDER.search("{limit} файлдың {count}-і")
    assert not SUFFIX_ON_PLACEHOLDER.search("{total} қадамның {number}-қадамы")
    assert POSTPOSITION_AFTER_PLACEHOLDER.search("Қарау мерзімі: {due} қоса алғанда")
    assert POSTPOSITION_AFTER_PLACEHOLDER.search("({limit} кешіктірмей; немесе /cancel)")
    assert POSTPOSITION_AFTER_PLACEHOLDER.search("Мерзім {date} дейін ұзартылды")
    assert not POSTPOSITION_AFTER_PLACEHOLDER.search("Мерзім {date} ж. дейін ұзартылды")


@pytest.mark.parametrize("calque", ["жұмысқа ал", "болдырылмады", "жасырын өтініш"])
def test_no_kazakh_calques(calque: str) -> None:
    assert not [key for key, value in KK.items() if calque in value.lower()]


def test_review_corrections_in_place() -> None:
    assert "қарауға қабылданды" in KK["notify.in_review"]
    assert KK["staff.button.take"] == "🙋 Қарауға алу"
    assert "кемінде {min}, ең көбі {max}" in KK["form.description.question"]
    assert "саны: {count} (ең көбі {limit})" in KK["form.attachments.received"]
    assert "{due} ж. дейін (қоса алғанда)" in KK["form.receipt.text"]
    assert "Келетін-келмейтініңізді" in KK["remind.hearing"]
    assert "Кері қайтарып алынған өтініш қаралмайды" in KK["my.withdraw.confirm"]
    assert "«Жарияламау» нұсқасын таңдасаңыз" in KK["form.confidentiality.question"]
    assert "анонимді өтініштер" in KK["form.consent.question"]
    assert "мәртебесі мен жауаптары" in KK["help.text"]
    assert "ішінара" not in KK["form.description.too_long"]
    assert "частично" not in RU["form.description.too_long"]


def test_staff_texts_call_the_applicant_as_the_card_does() -> None:
    assert "Заявитель" in RU["staff.card.applicant"]
    assert "Өтініш беруші" in KK["staff.card.applicant"]
    staff_keys = [key for key in RU if key.startswith(STAFF_PREFIXES)]
    assert staff_keys
    assert not [key for key in staff_keys if "владел" in RU[key].lower()]
    assert not [key for key in staff_keys if re.search(r"\bиесі", KK[key].lower())]
