"""What a newcomer meets in the sandbox page, in a real browser against the real bot: the phone
layout, the "Start here" panel, clock jumps that act at once, times in sandbox time, internal
notes that look like notes, and wiping the data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from bot.domain.validation import check_iin_bin
from tests.sandbox.browser import (
    HAVE_PLAYWRIGHT,
    PHONE,
    STEP_MS,
    OwnerPane,
    artifact,
    browser_page,
    file_appeal,
    frag,
    needs_browser,
    topic_for,
)
from tests.sandbox.process import SandboxProcess

if HAVE_PLAYWRIGHT:
    from playwright.async_api import Locator, Page, expect

pytestmark = needs_browser

# Kazakhstan's fixed public holidays: a digest test day must be an ordinary working day.
HOLIDAYS = {(1, 1), (1, 2), (1, 7), (3, 8), (3, 21), (3, 22), (3, 23), (5, 1), (5, 7), (5, 9)}
HOLIDAYS |= {(7, 6), (8, 30), (10, 25), (12, 16)}
# A clock jump must show its effect well before the bot's scheduler would have run again.
AT_ONCE_MS = 10_000
WIPE_MS = 90_000


async def on_screen(page: Page, target: Locator) -> None:
    """The element is visible and wholly inside the viewport (nothing to scroll to)."""
    await expect(target).to_be_visible()
    box = await target.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"] + 0.5, (box, viewport)
    assert box["y"] + box["height"] <= viewport["height"] + 0.5, (box, viewport)


async def api(page: Page, path: str, body: dict[str, Any] | None = None) -> Any:
    base = page.url.rstrip("/")
    if body is None:
        response = await page.request.get(f"{base}{path}")
    else:
        response = await page.request.post(f"{base}{path}", data=body)
    payload = await response.json()
    assert payload["ok"], payload
    return payload["result"]


async def test_phone_shows_tabs_with_both_composers_on_screen(sandbox: SandboxProcess) -> None:
    async with browser_page(
        sandbox.url, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    ) as page:
        owner_pane, operator_pane = (
            page.get_by_test_id("owner-pane"),
            page.get_by_test_id("operator-pane"),
        )
        await expect(page.get_by_test_id("tabs")).to_be_visible()
        await expect(owner_pane).to_be_visible()
        await expect(operator_pane).to_be_hidden()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The owner's tab: the composer on screen, the chat taking the height that is left.
        await on_screen(page, page.get_by_test_id("owner-input"))
        await on_screen(page, page.get_by_test_id("owner-send"))
        chat = await page.get_by_test_id("owner-messages").bounding_box()
        assert chat is not None and chat["height"] > 0.6 * PHONE["height"], chat

        owner = OwnerPane(page, "ru")
        await owner.choose("Ольга")
        await page.get_by_test_id("owner-input").fill("/start")
        await page.get_by_test_id("owner-send").tap()
        await owner.expect("language.choose")
        answer = owner.last_bot_message()
        await expect(answer).to_be_in_viewport()
        await expect(answer.locator(".inline-btn").first).to_be_in_viewport()
        await page.screenshot(path=artifact("phone-390x844-owner.png"))

        # The operator's tab: its own chat and composer, within the 390 px.
        await page.get_by_test_id("tab-operator").tap()
        await expect(operator_pane).to_be_visible()
        await expect(owner_pane).to_be_hidden()
        for testid in ("group-input", "group-send", "staff-select"):
            await on_screen(page, page.get_by_test_id(testid))
        chat = await page.get_by_test_id("group-messages").bounding_box()
        assert chat is not None and chat["height"] > 0.6 * PHONE["height"], chat

        # Topics are a screen of their own, as in Telegram's app.
        await page.get_by_test_id("topics-open").tap()
        general = page.get_by_test_id("topic").filter(has_text="General")
        await expect(general).to_be_visible()
        await expect(page.get_by_test_id("group-messages")).to_be_hidden()
        await general.tap()
        await expect(page.get_by_test_id("group-messages")).to_be_visible()

        note = "!проверено с телефона"
        await page.get_by_test_id("group-input").fill(note)
        await page.get_by_test_id("group-send").tap()
        posted = page.get_by_test_id("group-messages").locator(".msg.out").last
        await expect(posted).to_contain_text(note.removeprefix("!"))
        await expect(posted).to_be_in_viewport()
        await page.screenshot(path=artifact("phone-390x844.png"))

        # What happens in the hidden tab is counted on it.
        olga = next(p for p in (await api(page, "/api/state"))["personas"] if p["language"] == "ru")
        await api(page, "/api/send_text", {"user_id": olga["user_id"], "text": "/start"})
        await expect(page.get_by_test_id("tab-owner").locator(".badge")).to_be_visible()
        await page.get_by_test_id("tab-owner").tap()
        await expect(page.get_by_test_id("tab-owner").locator(".badge")).to_be_hidden()
        await on_screen(page, page.get_by_test_id("owner-input"))
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def test_start_here_opens_on_a_first_visit_with_valid_samples(
    sandbox: SandboxProcess,
) -> None:
    async with browser_page(sandbox.url, seen_guide=False) as page:
        guide = page.get_by_test_id("guide")
        await expect(guide).to_be_visible()
        await expect(guide).to_contain_text("Try this first")
        iin_button, bin_button = (
            page.get_by_test_id("sample-iin"),
            page.get_by_test_id("sample-bin"),
        )
        await expect(iin_button).to_have_text("900101300017")
        iin, bin_ = await iin_button.inner_text(), await bin_button.inner_text()
        assert check_iin_bin(iin, legal_entity=False) == iin
        assert check_iin_bin(bin_, legal_entity=True) == bin_
        await expect(guide.locator("#guide-hearing")).to_contain_text("/hearing 20")
        await page.screenshot(path=artifact("sandbox-start-here.png"))

        await iin_button.click()
        await expect(page.get_by_test_id("owner-input")).to_have_value(iin)

        office = guide.get_by_test_id("guide-office")
        for step in ("/stats", "/results", "/session", "/invest", "/export", "Next month"):
            await expect(office).to_contain_text(step)
        await office.locator("code[data-pane=operator]").get_by_text("/stats", exact=True).click()
        await expect(page.get_by_test_id("group-input")).to_have_value("/stats")

        await page.get_by_test_id("guide-close").click()
        await expect(guide).to_be_hidden()
        await page.reload()
        await expect(page.get_by_test_id("connection")).to_have_text("live")
        await expect(guide).to_be_hidden()  # seen once: it waits for the button
        await page.get_by_test_id("guide-open").click()
        await expect(guide).to_be_visible()
        await expect(page.get_by_test_id("guide-wipe")).to_be_visible()


def working_day_after(day: date, days: int) -> date:
    """A Wednesday at least ``days`` after ``day`` that is no public holiday."""
    candidate = day + timedelta(days=days)
    while candidate.weekday() != 2 or (candidate.month, candidate.day) in HOLIDAYS:
        candidate += timedelta(days=1)
    return candidate


async def test_a_clock_jump_makes_the_bot_act_at_once_in_sandbox_time(
    sandbox: SandboxProcess,
) -> None:
    """The bot's scheduler runs once an hour in this sandbox: a digest that appears right after
    a click on "+1 hour" can only come from the jump itself."""
    async with browser_page(sandbox.url) as page:
        state = await api(page, "/api/state")
        zone = timezone(timedelta(seconds=state["guide"]["utc_offset_seconds"]))
        now = state["clock"]["now"]
        local_today = datetime.fromtimestamp(now, UTC).astimezone(zone).date()
        day = working_day_after(local_today, 40)
        # 08:30 on that day: before the digest time, so nothing is due yet.
        before_digest = datetime.combine(day, time(8, 30), tzinfo=zone).timestamp()
        await api(page, "/api/clock", {"add_seconds": round(before_digest - now)})
        messages = page.get_by_test_id("group-messages")
        title = f"{frag('ru', 'digest.title')} {day:%d.%m.%Y}"
        await expect(page.get_by_test_id("clock-now")).to_contain_text("08:3")
        assert await messages.locator(".msg").filter(has_text=title).count() == 0

        await page.get_by_role("button", name="+1 hour").click()
        digest = messages.locator(".msg").filter(has_text=title)
        await expect(digest).to_have_count(1, timeout=AT_ONCE_MS)
        # Stamped with the sandbox's time in the bot's zone, under that day's separator.
        await expect(digest.locator(".meta time")).to_have_text(re.compile(r"^09:3\d$"))
        separator = messages.locator(".day").last
        await expect(separator).to_contain_text(str(day.day))
        await expect(separator).to_contain_text(str(day.year))
        await page.screenshot(path=artifact("sandbox-clock-jump-digest.png"))

        await page.get_by_role("button", name="Reset").click()
        await expect(page.get_by_test_id("clock-offset")).to_have_text("real time")


async def test_internal_notes_look_unlike_messages_to_the_owner(
    sandbox: SandboxProcess,
) -> None:
    async with browser_page(sandbox.url) as page:
        owner = OwnerPane(page, "ru")
        number = await file_appeal(owner, "Ольга", "Петрова Ольга Ивановна", screenshot=False)
        topic = await topic_for(page, number, timeout_ms=STEP_MS)
        assert topic is not None, f"no topic for appeal {number}"
        await topic.click()
        messages = page.get_by_test_id("group-messages")
        box = page.get_by_test_id("group-input")

        note_text = "проверить реестр разрешений до пятницы"
        await box.fill(f"!{note_text}")
        await box.press("Enter")
        note = messages.locator(".msg.out").filter(has_text=note_text)
        await expect(note.locator(".bubble.note")).to_be_visible()
        await expect(note.get_by_test_id("note-badge")).to_contain_text("not sent to the owner")
        await expect(note.locator(".reaction")).to_contain_text("✍", timeout=STEP_MS)

        reply = "Здравствуйте! Ваше обращение рассматривается."
        await box.fill(reply)
        await box.press("Enter")
        sent = messages.locator(".msg.out").filter(has_text=reply)
        await expect(sent.locator(".meta")).to_contain_text("sent to the owner", timeout=STEP_MS)
        await expect(sent.locator(".bubble")).not_to_have_class("note")
        assert await sent.get_by_test_id("note-badge").count() == 0
        await page.screenshot(path=artifact("sandbox-note-and-reply.png"))

        await expect(owner.last_bot_message()).to_contain_text(reply, timeout=STEP_MS)
        await expect(owner.messages).not_to_contain_text(note_text)


async def test_wipe_starts_a_fresh_session(sandbox: SandboxProcess) -> None:
    async with browser_page(sandbox.url) as page:
        owner = OwnerPane(page, "kk")
        await owner.choose("Ерлан")
        await owner.say("/start", "language.choose")
        bot_before = sandbox.bot_pid()

        await page.get_by_test_id("wipe-open").click()
        await expect(page.get_by_test_id("wipe-confirm")).to_be_visible()
        await page.get_by_test_id("wipe-go").click()
        await expect(page.get_by_test_id("wiping")).to_be_visible()
        await expect(page.get_by_test_id("wiping")).to_be_hidden(timeout=WIPE_MS)

        await expect(owner.messages.locator(".empty")).to_be_visible()
        await expect(page.get_by_test_id("topic")).to_have_count(1)  # General only
        await expect(page.get_by_test_id("clock-offset")).to_have_text("real time")
        bot_after = sandbox.bot_pid()
        assert bot_after is not None and bot_after != bot_before

        await owner.say("/start", "language.choose")  # the new bot answers
