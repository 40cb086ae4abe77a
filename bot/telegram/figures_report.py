"""The figures of a period as the operator group gets them: the text, the press paragraph in
Russian and in Kazakh, and the charts as one album; queued in the caller's transaction
(/stats in its unit of work, the monthly report in its scheduled run, with dedupe keys)."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.figures import Figures
from bot.domain.outbox import album_params
from bot.i18n import LANGUAGES, I18n, Translator
from bot.telegram.outbox import enqueue, queue_call
from bot.views.charts import draw_charts
from bot.views.figures import figures_text
from bot.views.press import press_paragraph

KIND = "figures"


def _key(prefix: str | None, part: str) -> str | None:
    return None if prefix is None else f"{prefix}:{part}"


async def queue_figures(
    session: AsyncSession,
    *,
    chat_id: int,
    thread_id: int | None,
    figures: Figures,
    i18n: I18n,
    staff_t: Translator,
    now: datetime,
    reply_markup: InlineKeyboardMarkup | None = None,
    dedupe_prefix: str | None = None,
) -> None:
    """Queue the report; with `dedupe_prefix` each part is queued once whatever the retries
    (the monthly report). Staff texts and the charts are in the staff language."""

    async def say(part: str, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        await enqueue(
            session,
            chat_id=chat_id,
            thread_id=thread_id,
            now=now,
            kind=KIND,
            text=text,
            reply_markup=markup,
            dedupe_key=_key(dedupe_prefix, part),
        )

    await say("text", figures_text(staff_t, figures), reply_markup)
    # Russian first: the office's press releases go out in Russian, then in Kazakh.
    for language in sorted(LANGUAGES, key=lambda code: code != "ru"):
        paragraph = press_paragraph(i18n.translator(language), figures)
        await say(f"press:{language}", f"{staff_t(f'figures.press_title.{language}')}\n{paragraph}")
    charts = draw_charts(figures, staff_t)
    if not charts:
        await say("charts", staff_t("figures.no_charts"))
        return
    method, params = album_params(
        [(f"{chart.name}.png", chart.png, chart.title) for chart in charts]
    )
    await queue_call(
        session,
        chat_id=chat_id,
        thread_id=thread_id,
        now=now,
        method=method,
        params=params,
        kind=KIND,
        dedupe_key=_key(dedupe_prefix, "charts"),
    )
