"""/start, language choice, /help."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.users import ensure_user, set_language
from bot.i18n import I18n, Translator
from bot.keyboards.callbacks import LanguageCb
from bot.keyboards.common import language_keyboard, main_menu
from bot.services import Services
from states import Onboarding

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def start(message: Message, session: AsyncSession, state: FSMContext, t: Translator) -> None:
    assert message.from_user is not None
    await ensure_user(session, message.from_user.id)
    await state.clear()
    await state.set_state(Onboarding.language)
    await message.answer(t("language.choose"), reply_markup=language_keyboard(t))


async def ask_language(message: Message, state: FSMContext, t: Translator) -> None:
    await message.answer(t("language.choose"), reply_markup=language_keyboard(t))


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageCb,
    session: AsyncSession,
    state: FSMContext,
    services: Services,
) -> None:
    i18n = services.i18n
    if callback_data.code not in i18n.catalogs:
        await query.answer(i18n.get(None, "errors.stale_button"))
        return
    await set_language(session, query.from_user.id, callback_data.code)
    t = i18n.translator(callback_data.code)
    onboarding = await state.get_state() == Onboarding.language.state
    if onboarding:
        await state.clear()
    await query.answer(t("language.chosen"))
    if isinstance(query.message, Message):
        await query.message.edit_text(t("language.chosen"))
        if onboarding:
            await query.message.answer(t("start.welcome"), reply_markup=main_menu(t))
        else:
            await query.message.answer(t("help.text"), reply_markup=main_menu(t))


async def language_hint(message: Message, t: Translator, services: Services) -> None:
    text = services.i18n.both("language.use_buttons")
    await message.answer(text, reply_markup=language_keyboard(t))


async def show_help(message: Message, t: Translator) -> None:
    await message.answer(t("help.text"), reply_markup=main_menu(t))


def make_router(i18n: I18n) -> Router:
    router = Router(name="start")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    router.message.register(start, CommandStart())
    router.message.register(ask_language, Command("language"))
    router.message.register(ask_language, F.text.in_(i18n.all_variants("menu.language")))
    router.message.register(show_help, Command("help"))
    router.message.register(show_help, F.text.in_(i18n.all_variants("menu.help")))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    router.message.register(language_hint, StateFilter(Onboarding.language))
    return router
