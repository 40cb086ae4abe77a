"""/privacy: what the office stores about the person and why, a copy of all of it, and the
withdrawal of consent (Law 94-V "On personal data and their protection")."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain import form, privacy
from bot.domain.calendar import WorkCalendar
from bot.i18n import Translator
from bot.keyboards.common import main_menu
from bot.keyboards.privacy import PrivacyCb, overview_keyboard, withdraw_keyboard
from bot.services import Services
from states import AddInfo, NewAppeal

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

DAY = "%d.%m.%Y"


def period(t: Translator, years: int) -> str:
    """'5 лет', '3 года', '1 год' (Kazakh has one form)."""
    if years % 10 == 1 and years % 100 != 11:
        form = "one"
    elif 2 <= years % 10 <= 4 and not 12 <= years % 100 <= 14:
        form = "few"
    else:
        form = "many"
    return t(f"privacy.years_{form}", years=years)


def overview_text(t: Translator, view: privacy.Overview, calendar: WorkCalendar, years: int) -> str:
    user = view.user
    profile: list[str] = []
    if user is not None:
        kind = user.applicant_kind
        fields = [
            ("name", escape(user.full_name or "")),
            ("kind", t(f"form.applicant_kind.{kind}") if kind else ""),
            ("iin_bin", user.iin_bin or ""),
            ("phone", user.phone or ""),
            ("company", escape(user.company or "")),
        ]
        profile = [t(f"privacy.profile_{key}", value=value) for key, value in fields if value]
    lines = [t("privacy.title"), "", t("privacy.intro")]
    lines += [t("privacy.profile"), *profile] if profile else [t("privacy.profile_empty")]
    if user is not None and user.language:
        lines.append(t("privacy.language", value=t(f"staff.card.language_{user.language}")))
    if view.appeals:
        lines.append(t("privacy.appeals", count=view.appeals, open=len(view.open_appeals)))
    else:
        lines.append(t("privacy.appeals_none"))
    withdrawn = privacy.consent_withdrawn_at(user)
    if withdrawn is not None:
        lines.append(t("privacy.consent_withdrawn", date=calendar.local(withdrawn).strftime(DAY)))
    elif user is not None and user.consent_at is not None:
        date = calendar.local(user.consent_at).strftime(DAY)
        lines.append(t("privacy.consent_active", date=date, version=user.consent_version or "—"))
    else:
        lines.append(t("privacy.consent_none"))
    lines += [
        "",
        t("privacy.purpose"),
        "",
        t("privacy.retention", period=period(t, years)),
        "",
        t("privacy.actions"),
    ]
    return "\n".join(lines)


def withdraw_text(t: Translator, view: privacy.Overview, years: int) -> str:
    text = t("privacy.withdraw.explain", period=period(t, years))
    if view.open_appeals:
        numbers = ", ".join(appeal.number for appeal in view.open_appeals)
        return f"{text}\n\n{t('privacy.withdraw.open', numbers=numbers)}"
    return f"{text}\n\n{t('privacy.withdraw.question')}"


def _filling_in(state_name: str | None) -> bool:
    """An appeal is being filled in (the FSM is at one of its steps)."""
    return bool(state_name and state_name.startswith(f"{NewAppeal.__full_group_name__}:"))


async def _draft(state: FSMContext) -> dict[str, Any] | None:
    """The answers of an appeal being filled in (stored too, until submitted or cancelled)."""
    if not _filling_in(await state.get_state()):
        return None
    data = await state.get_data()
    return {key: data[key] for key in form.ANSWER_FIELDS if data.get(key) not in (None, "", [])}


async def show(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    assert message.from_user is not None
    if await state.get_state() == AddInfo.collecting.state:
        await state.clear()
    view = await privacy.overview(session, message.from_user.id)
    years = services.retention_years
    await message.answer(
        overview_text(t, view, services.calendar, years),
        reply_markup=overview_keyboard(t, can_withdraw=privacy.has_consent(view.user)),
    )


async def on_button(
    query: CallbackQuery,
    callback_data: PrivacyCb,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    services: Services,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("hint.stale"))
        return
    calendar, topics, staff_t = services.calendar, services.topics, services.staff_t
    owner = query.from_user.id
    now = services.clock()
    years = services.retention_years
    action = callback_data.action
    if action == "download":
        await query.answer()
        data = await privacy.export(
            session, t, calendar, owner, now, retention_years=years, draft=await _draft(state)
        )
        local = calendar.local(now)
        await privacy.send_export(
            session,
            message.chat.id,
            f"personal-data-{local:%Y-%m-%d}.json",
            privacy.export_file(data),
            t("privacy.export.caption", date=local.strftime("%d.%m.%Y %H:%M")),
            now,
        )
        return
    if action == "cancel":
        await query.answer()
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(t("privacy.withdraw.cancelled"))
        return
    if action not in ("withdraw", "confirm", "all", "keep"):
        await query.answer(t("hint.stale"))
        return
    view = await privacy.overview(session, owner)
    user = view.user
    if user is None or not privacy.has_consent(user):
        withdrawn = privacy.consent_withdrawn_at(user)
        text = (
            t("privacy.withdraw.already", date=calendar.local(withdrawn).strftime(DAY))
            if withdrawn is not None
            else t("privacy.withdraw.nothing")
        )
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    if action == "withdraw":
        await message.answer(
            withdraw_text(t, view, years),
            reply_markup=withdraw_keyboard(t, open_appeals=bool(view.open_appeals)),
        )
        return
    await message.edit_reply_markup(reply_markup=None)
    if action == "confirm" and view.open_appeals:
        # An appeal was filed after the question was asked: ask about it.
        await message.answer(
            f"{t('privacy.withdraw.changed')}\n\n{withdraw_text(t, view, years)}",
            reply_markup=withdraw_keyboard(t, open_appeals=True),
        )
        return
    if _filling_in(await state.get_state()):
        await state.clear()  # an appeal being filled in needs the consent just withdrawn
    result = await privacy.withdraw_consent(session, user, now, withdraw_open=action == "all")
    for appeal in result.withdrawn:
        await message.answer(t("my.withdraw.done", number=appeal.number))
        await topics.post(session, appeal, staff_t("staff.owner_withdrew"))
    for appeal in result.kept:
        await topics.post(session, appeal, staff_t("privacy.staff.consent_withdrawn"))
    for appeal in result.appeals:
        await topics.refresh(session, appeal)
    text = t("privacy.withdraw.done", date=calendar.local(result.at).strftime(DAY))
    if result.kept:
        numbers = ", ".join(appeal.number for appeal in result.kept)
        text += "\n\n" + t("privacy.withdraw.kept", numbers=numbers)
    await message.answer(text, reply_markup=main_menu(t))


def make_router() -> Router:
    router = Router(name="privacy")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    router.message.register(show, Command("privacy"))
    router.callback_query.register(on_button, PrivacyCb.filter())
    return router
