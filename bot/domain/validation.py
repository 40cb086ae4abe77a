"""Checks and clean-up of what appeal owners type: IIN/BIN, phone, free text, full name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

IIN_BIN_LENGTH = 12
WEIGHTS_FIRST = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# IIN, 7th digit: century of birth and sex (odd men, even women).
IIN_CENTURIES = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}
# BIN, 5th digit: resident legal entity, non-resident one, joint individual entrepreneurship.
BIN_ENTITY_DIGITS = "456"
# BIN, 6th digit: head organisation, branch, representative office, peasant farm.
BIN_DIVISION_DIGITS = "0123"
# A BIN's two-digit year of (re-)registration: Kazakhstan registers legal entities since the
# early 1990s, so 90-99 are the 1990s and 00-89 the 2000s, where a year to come is refused.
BIN_FIRST_YEAR = 1990

NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 200

_DIGITS_12 = re.compile(r"[0-9]{12}")
# What people put between digit groups: spaces and dashes (the ones phones autocorrect to too).
_NUMBER_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")
_PHONE_SHAPE = re.compile(r"\+?[0-9()\-\s]+")
_PHONE_SEPARATORS = re.compile(r"[()\-\s]")

# Invisible characters that only hide or reorder text: zero-width ones, LRM/RLM, the bidi
# embeddings/overrides/isolates (used to disguise text), word joiner and invisible operators, BOM.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")
_HORIZONTAL_SPACE = re.compile("[ \t\v\f\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+")

_HYPHENS = "-\u2010\u2011"
_APOSTROPHES = "'\u2019\u02bc"


@dataclass(frozen=True)
class Invalid:
    reason: str


def _check_digit(digits: str) -> int | None:
    values = [int(ch) for ch in digits[:11]]
    for weights in (WEIGHTS_FIRST, WEIGHTS_SECOND):
        remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def _iin_problem(digits: str, today: date) -> str | None:
    century = IIN_CENTURIES.get(digits[6])
    if century is None:
        return "century"
    try:
        born = date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return "birth_date"
    if born > today:
        return "birth_future"
    return None


def _bin_problem(digits: str, today: date) -> str | None:
    month = int(digits[2:4])
    if not 1 <= month <= 12:
        return "bin_month"
    year = 1900 + int(digits[0:2])
    if year < BIN_FIRST_YEAR:
        year += 100
    if (year, month) > (today.year, today.month):
        return "registration_future"
    if digits[4] not in BIN_ENTITY_DIGITS or digits[5] not in BIN_DIVISION_DIGITS:
        return "bin_type"
    return None


def check_iin_bin(value: str, *, legal_entity: bool, today: date | None = None) -> str | Invalid:
    """The IIN (individual entrepreneur) or BIN (legal entity) as 12 digits, or why not.

    Dates in the number may not be later than `today` (local; the system clock's by default).
    """
    if today is None:
        today = date.today()
    digits = _NUMBER_SEPARATORS.sub("", _INVISIBLE.sub("", value))
    if not _DIGITS_12.fullmatch(digits):
        return Invalid("length")
    problem = _bin_problem(digits, today) if legal_entity else _iin_problem(digits, today)
    checksum_ok = _check_digit(digits) == int(digits[11])
    if problem is not None:
        # The other kind of number, valid in full: the owner typed the wrong one, say so.
        other = _iin_problem(digits, today) if legal_entity else _bin_problem(digits, today)
        if other is None and checksum_ok:
            return Invalid("not_bin" if legal_entity else "not_iin")
        return Invalid(problem)
    if not checksum_ok:
        return Invalid("checksum")
    return digits


def normalise_phone(value: str) -> str | None:
    text = value.strip()
    if not _PHONE_SHAPE.fullmatch(text):
        return None
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("+"):
        if not digits.startswith("+7"):
            return None
        national = digits[2:]
    elif len(digits) == 11 and digits[0] in "78":
        national = digits[1:]
    else:
        return None
    # +7 is shared with Russia; Kazakhstan's numbers are the 7xx range of it.
    if len(national) != 10 or not national.isdigit() or national[0] != "7":
        return None
    return "+7" + national


def clean_text(value: str) -> str:
    text = _INVISIBLE.sub("", value)
    text = _LINE_BREAKS.sub("\n", text)
    text = "".join(
        ch for ch in text if ch in "\n\t\v\f" or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return text.strip()


def _is_name_letter(ch: str) -> bool:
    if not unicodedata.category(ch).startswith("L"):
        return False
    return unicodedata.name(ch, "").startswith(("CYRILLIC ", "LATIN "))


def _is_name_word(word: str) -> bool:
    previous_was_letter = False
    for ch in word:
        if _is_name_letter(ch):
            previous_was_letter = True
        elif ch in _HYPHENS or ch in _APOSTROPHES:
            if not previous_was_letter:
                return False
            previous_was_letter = False
        else:
            return False
    return previous_was_letter


def check_full_name(value: str) -> str | Invalid:
    # NFC so that a letter typed as base + combining mark (й, ё, ә) counts as one letter.
    name = " ".join(unicodedata.normalize("NFC", clean_text(value)).split())
    if len(name) < NAME_MIN_LENGTH:
        return Invalid("too_short")
    if len(name) > NAME_MAX_LENGTH:
        return Invalid("too_long")
    words = name.split(" ")
    if not all(_is_name_word(word) for word in words):
        return Invalid("letters")
    if len(words) < 2:
        return Invalid("too_short")
    return name
