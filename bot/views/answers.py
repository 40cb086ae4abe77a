"""An answer of the form as text, the way its row says (bot/domain/form.py `Row.show`).

Used by the summary before submission and by the owner's and staff's cards after it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from bot.domain import form
from bot.i18n import Translator


def shown(
    t: Translator,
    step: form.Step,
    value: Any,
    *,
    limit: int | None = None,
    cut: str = "…",
) -> str:
    """HTML of `value`; a "long" one is cut to `limit` characters and ends with `cut`."""
    assert step.row is not None
    show = step.row.show
    if show == "count":
        count = value if isinstance(value, int) else len(value or [])
        return t("form.summary.files_count", count=count) if count else t("form.summary.files_none")
    if show == "flag":
        return t(f"{step.row.flag}.{'yes' if value else 'no'}")
    if value is None or value == "":
        return "—"
    text = str(value)
    if show == "option" and text in step.options:
        return t(step.label_key(text))
    if show == "long" and limit is not None and len(text) > limit:
        return escape(text[:limit]) + cut
    return escape(text)
