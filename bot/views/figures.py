"""The figures as staff read them under /stats, and the public results of /results."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.domain.figures import Figures, PublicResults
from bot.i18n import Translator
from bot.views.numbers import decimal, tenge, whole


def _items(t: Translator, counts: Mapping[str, int], label_key: str) -> str:
    """ "Жалоба — 5, Заявление — 3": what was counted, most first; zeros left out."""
    shown = sorted(((key, n) for key, n in counts.items() if n), key=lambda kv: -kv[1])
    if not shown:
        return t("figures.none")
    return ", ".join(
        t("figures.text.item", label=t(label_key.format(key=key)), count=whole(n))
        for key, n in shown
    )


def figures_text(t: Translator, figures: Figures) -> str:
    f = figures
    lines = [
        t("figures.text.title", period=f.period.label()),
        t("figures.text.received", count=whole(f.received)),
        t("figures.text.by_type", items=_items(t, f.by_type, "appeal_type.{key}")),
        t("figures.text.by_category", items=_items(t, f.by_category, "category.{key}")),
        t("figures.text.by_locality", items=_items(t, f.by_locality, "locality.{key}")),
        t("figures.text.by_language", items=_items(t, f.by_language, "figures.language.{key}")),
        t(
            "figures.text.answered",
            count=whole(f.answered),
            on_time=whole(f.on_time),
            late=whole(f.late),
        ),
        t(
            "figures.text.median",
            days=t("figures.none") if f.median_days is None else decimal(f.median_days),
            term=f.term_days,
        ),
        t(
            "figures.text.outcomes",
            satisfied=whole(f.satisfied),
            partly=whole(f.partly),
            refused=whole(f.refused),
        ),
        t("figures.text.rights", count=whole(f.rights_protected)),
        t(
            "figures.text.ended",
            withdrawn=whole(f.withdrawn),
            not_considered=whole(f.not_considered),
        ),
        t(
            "figures.text.sessions",
            count=whole(f.sessions_held),
            owners_came=whole(f.owners_came),
            owners_absent=whole(f.owners_absent),
            officials_came=whole(f.officials_came),
            officials_absent=whole(f.officials_absent),
        ),
        t(
            "figures.text.agreements",
            count=whole(f.agreements),
            amount=tenge(t, f.agreements_amount),
        ),
        t("figures.text.rating_none")
        if f.rating_mean is None
        else t("figures.text.rating", mean=decimal(f.rating_mean), count=whole(f.ratings)),
    ]
    return "\n".join(lines)


def results_text(t: Translator, results: PublicResults, today: date) -> str:
    return t(
        "figures.results.text",
        year=results.year,
        date=f"{today:%d.%m.%Y}",
        received=whole(results.received),
        answered=whole(results.answered),
        on_time=whole(results.on_time),
        sessions=whole(results.sessions_held),
        rights=whole(results.rights_protected),
        projects=whole(results.projects),
        amount=tenge(t, results.projects_amount),
    )
