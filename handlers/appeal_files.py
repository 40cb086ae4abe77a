"""Attachments step: photos and documents, albums as one step, at most ten files."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain import catalog, form
from bot.i18n import Translator
from bot.keyboards.form import choices
from bot.telegram.attachments import describe_file
from handlers import appeal_flow as flow
from models import User


def _files_step() -> form.Step:
    return next(step for step in form.STEPS if step.kind == "files")


def _keyboard(t: Translator, files: list[dict[str, Any]]) -> InlineKeyboardMarkup:
    step = _files_step()
    return choices(t, step.name, flow.options(t, step), columns=step.columns)


async def on_file(message: Message, state: FSMContext, t: Translator, user: User | None) -> None:
    data = await state.get_data()
    files: list[dict[str, Any]] = list(data.get("files", []))
    item, name, refusal = describe_file(message, t)
    if refusal is None and len(files) >= catalog.MAX_FILES:
        refusal = "form.attachments.limit"
    if refusal is not None or item is None:
        text = t(
            refusal or "form.attachments.bad_type",
            name=escape(name),
            limit=catalog.MAX_FILES,
            size_mb=catalog.MAX_FILE_MB,
        )
        await message.answer(text, reply_markup=_keyboard(t, files))
        return
    files.append(item)
    text = t("form.attachments.received", count=len(files), limit=catalog.MAX_FILES)
    group = message.media_group_id
    if group and data.get("ack_group") == group and data.get("ack_message_id"):
        # One status message per album, updated as its parts arrive.
        await message.bot.edit_message_text(  # type: ignore[union-attr]
            text=text,
            chat_id=message.chat.id,
            message_id=data["ack_message_id"],
            reply_markup=_keyboard(t, files),
        )
        await state.update_data(files=files)
        return
    ack = await message.answer(text, reply_markup=_keyboard(t, files))
    await state.update_data(files=files, ack_group=group, ack_message_id=ack.message_id)


async def on_files_button(
    query: CallbackQuery,
    *,
    message: Message,
    value: str,
    state: FSMContext,
    t: Translator,
    user: User | None,
) -> None:
    if value not in _files_step().options:
        await query.answer(t("hint.stale"))
        await flow.ask(message, state, t, user)
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    await state.update_data(ack_group=None, ack_message_id=None)
    await flow.proceed(message, state, t, user, step=_files_step().name)
