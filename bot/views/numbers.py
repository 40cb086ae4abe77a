"""Numbers as the office writes them in Russian and Kazakh: 1 234 (a no-break space between
thousands), 4,6 (a decimal comma), 67,3 млрд тенге; and which plural form a count takes."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bot.i18n import Translator

NBSP = "\u00a0"
BILLION = 1_000_000_000
MILLION = 1_000_000


def whole(value: int) -> str:
    return f"{value:,}".replace(",", NBSP)


def decimal(value: float, places: int = 1) -> str:
    """Rounded half up, a decimal comma, no trailing ",0" (9 working days, 4,6 of 5)."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return whole(int(rounded))
    integral, _, fraction = f"{rounded:f}".partition(".")
    return f"{whole(int(integral))},{fraction.rstrip('0')}"


def tenge(t: Translator, amount: int) -> str:
    """Billions and millions with one decimal, smaller sums in full."""
    if amount >= BILLION:
        return t("figures.money.billion", value=decimal(amount / BILLION))
    if amount >= MILLION:
        return t("figures.money.million", value=decimal(amount / MILLION))
    return t("figures.money.tenge", value=whole(amount))


def plural_form(language: str, count: int) -> str:
    """ "one", "few" or "many": the Russian rule (1 обращение, 2 обращения, 5 обращений,
    21 обращение). A Kazakh noun stays singular after a numeral, so the Kazakh catalog has
    one text for all three forms."""
    if language != "ru":
        return "one" if count == 1 else "many"
    if count % 10 == 1 and count % 100 != 11:
        return "one"
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return "few"
    return "many"


def counted(t: Translator, key: str, count: int, **values: object) -> str:
    """The catalog text `key.<form>` for `count`, with {count} written out."""
    return t(f"{key}.{plural_form(t.language, count)}", count=whole(count), **values)
