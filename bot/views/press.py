"""The period's figures in one paragraph, the way the office writes its press releases
(context: "заключено 23 соглашения ... на сумму 67,3 миллиарда тенге", "защищены права 18
предпринимателей", "проведены 18 заседаний")."""

from __future__ import annotations

from bot.domain.figures import Figures
from bot.domain.periods import Period, month_of, quarter_of, year_of
from bot.i18n import Translator
from bot.views.numbers import counted, decimal, tenge, whole

ROMAN = ("I", "II", "III", "IV")


def period_phrase(t: Translator, period: Period) -> str:
    """ "В ноябре 2026 года" / "2026 жылдың қараша айында", and so on for a quarter, a year
    or two dates."""
    start = period.start
    if period == month_of(start):
        return t(
            "figures.press.period.month",
            month=t(f"figures.press.month_in.{start.month}"),
            year=start.year,
        )
    if period == quarter_of(start):
        return t(
            "figures.press.period.quarter", quarter=ROMAN[(start.month - 1) // 3], year=start.year
        )
    if period == year_of(start):
        return t("figures.press.period.year", year=start.year)
    return t(
        "figures.press.period.dates",
        start=f"{period.start:%d.%m.%Y}",
        end=f"{period.end:%d.%m.%Y}",
    )


def _outcomes(t: Translator, figures: Figures) -> str | None:
    parts = [
        t(f"figures.press.outcome.{name}", count=whole(count))
        for name, count in (
            ("satisfied", figures.satisfied),
            ("partly", figures.partly),
            ("refused", figures.refused),
        )
        if count
    ]
    if not parts:
        return None
    sentence = ", ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def press_paragraph(t: Translator, figures: Figures) -> str:
    """One paragraph in t's language; a figure that is zero is left out, as a press release
    would (received is always said)."""
    period = period_phrase(t, figures.period)
    if figures.received:
        sentences = [counted(t, "figures.press.received", figures.received, period=period)]
    else:
        sentences = [t("figures.press.received_none", period=period)]
    if figures.answered:
        if figures.on_time == figures.answered:
            sentences.append(counted(t, "figures.press.answered_all_on_time", figures.answered))
        else:
            sentences.append(
                counted(
                    t, "figures.press.answered", figures.answered, on_time=whole(figures.on_time)
                )
            )
    outcomes = _outcomes(t, figures)
    if outcomes:
        sentences.append(outcomes)
    if figures.rights_protected:
        sentences.append(counted(t, "figures.press.rights", figures.rights_protected))
    if figures.sessions_held:
        sentences.append(counted(t, "figures.press.sessions", figures.sessions_held))
    if figures.agreements:
        sentences.append(
            counted(
                t,
                "figures.press.agreements",
                figures.agreements,
                amount=tenge(t, figures.agreements_amount),
            )
        )
    if figures.rating_mean is not None:
        sentences.append(
            counted(t, "figures.press.rating", figures.ratings, mean=decimal(figures.rating_mean))
        )
    return " ".join(sentences)
