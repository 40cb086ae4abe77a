"""An amount in tenge as people write it: "1 500 000 000", "1,5 млрд", "1.5 mln", "300 млн тг".

Spaces (any kind) group thousands; a comma or a dot before one or two digits, or before the
word of a scale, is the decimal mark; a dot or comma followed by three digits groups thousands.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# The scale words, by their lower-case stem (Russian, Kazakh, English).
SCALES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("трлн", "триллион", "trln", "trillion", "tn"), 10**12),
    (("млрд", "миллиард", "mlrd", "bln", "billion", "bn"), 10**9),
    (("млн", "миллион", "mln", "million", "mn"), 10**6),
    (("тыс", "мың", "мын", "thousand", "k"), 10**3),
)
CURRENCY = re.compile(r"(тенге|теңге|тңг|тг|kzt|tenge|₸)\.?$")
SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007']+")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
MAX_TENGE = 10**15  # a thousand trillion: anything more is a typing slip


def _scale(word: str) -> int | None:
    if not word:
        return 1
    for stems, factor in SCALES:
        if any(word.startswith(stem) for stem in stems):
            return factor
    return None


def parse_amount(raw: str) -> int | None:
    """Whole tenge, or None for anything that is not a positive amount."""
    text = raw.strip().lower()
    text = CURRENCY.sub("", text).strip()
    match = re.fullmatch(r"([\d\s\u00a0\u202f\u2009\u2007'.,]+?)\s*([^\d\s.,]*)\.?", text)
    if match is None:
        return None
    groups = [group for group in SPACES.split(match[1]) if group]
    # Spaces group thousands: "1 500 000", never "1 2 3".
    if len(groups) > 1 and not all(re.fullmatch(r"\d{3}([.,]\d+)?", g) for g in groups[1:]):
        return None
    digits, word = "".join(groups), match[2]
    factor = _scale(word)
    if factor is None or not digits:
        return None
    if GROUPED.fullmatch(digits) and factor == 1:
        digits = re.sub(r"[.,]", "", digits)
    if not NUMBER.fullmatch(digits):
        return None
    try:
        value = Decimal(digits.replace(",", ".")) * factor
    except InvalidOperation:
        return None
    if value != value.to_integral_value() or not 0 < value <= MAX_TENGE:
        return None
    return int(value)
