"""Driving the sandbox page in a real browser (Debian's Chromium through Playwright).

Only what a person sees and does: clicks, typing, text on the screen. Every wait is for
something to appear (a selector, a text), never for a quiet period.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.i18n import I18n
from tests.sandbox.process import ROOT

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

try:
    from playwright.async_api import Locator, Page, async_playwright, expect
except ImportError:  # CI installs it; elsewhere the browser tests skip
    HAVE_PLAYWRIGHT = False
else:
    HAVE_PLAYWRIGHT = True

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots land here (ignored by git); each test prints the paths it wrote.
ARTIFACTS = ROOT / "test-artifacts"
STEP_MS = 20_000
I18N = I18n("kk")
IIN = "900101300017"
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
# The "Start here" panel opens by itself on a first visit; most tests have been here before.
GUIDE_SEEN = "localStorage.setItem('adal-sandbox-guide-seen', '1')"

needs_browser = pytest.mark.skipif(
    not (HAVE_PLAYWRIGHT and CHROMIUM.exists()),
    reason="needs the playwright package and Chromium at /usr/bin/chromium",
)


def t(language: str, key: str) -> str:
    return I18N.get(language, key)


def frag(language: str, key: str) -> str:
    """A plain-text piece of a catalog string that the page must show."""
    text = re.sub(r"<[^>]+>", "", t(language, key))
    return text.split("{")[0].split("\n")[0].strip()[:40]


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    print(f"screenshot: {path}")
    return path


@asynccontextmanager
async def browser_page(
    url: str,
    *,
    viewport: ViewportSize = DESKTOP,
    seen_guide: bool = True,
    **context_options: Any,
) -> AsyncIterator[Page]:
    """A fresh browser context on the page, live; fails the test on any JavaScript error."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                viewport=viewport, locale="ru-RU", timezone_id="Asia/Almaty", **context_options
            )
            if seen_guide:
                await context.add_init_script(GUIDE_SEEN)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url)
            await expect(page.get_by_test_id("connection")).to_have_text("live")
            yield page
        finally:
            await browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


class OwnerPane:
    """The owner's pane, used only through what a person sees and clicks."""

    def __init__(self, page: Page, language: str) -> None:
        self.page = page
        self.lang = language
        self.messages = page.get_by_test_id("owner-messages")

    async def choose(self, persona: str) -> None:
        await self.page.get_by_test_id("persona").filter(has_text=persona).click()

    def last_bot_message(self) -> Locator:
        return self.messages.locator(".msg.in").last

    async def expect(self, key: str) -> None:
        await expect(self.last_bot_message()).to_contain_text(frag(self.lang, key), timeout=STEP_MS)

    async def say(self, text: str, then: str) -> None:
        box = self.page.get_by_test_id("owner-input")
        await box.fill(text)
        await box.press("Enter")
        await expect(self.messages.locator(".msg.out").last).to_contain_text(text)
        await self.expect(then)

    async def press(self, label: str, then: str) -> None:
        button = self.messages.locator(".inline-btn").filter(has_text=label).last
        await button.click()
        await self.expect(then)

    async def press_reply(self, label: str, then: str) -> None:
        await (
            self.page.get_by_test_id("owner-keyboard")
            .locator(".reply-btn")
            .filter(has_text=label)
            .click()
        )
        await self.expect(then)


async def file_appeal(
    owner: OwnerPane, persona: str, full_name: str, *, screenshot: bool = True
) -> str:
    """The whole appeal dialogue from /start to the receipt; returns the appeal number."""
    lang = owner.lang

    def label(key: str) -> str:
        return t(lang, key)

    await owner.choose(persona)
    await owner.say("/start", "language.choose")
    await owner.press(label(f"language.{lang}_button"), "start.welcome")
    await owner.say("/new", "form.consent.question")
    await owner.press(label("form.consent.agree"), "form.full_name.question")
    await owner.say(full_name, "form.applicant_kind.question")
    await owner.press(label("form.applicant_kind.ie"), "form.iin_bin.question_ie")
    await owner.say(IIN, "form.phone.question")
    if screenshot:
        await owner.page.screenshot(path=artifact(f"sandbox-{lang}-reply-keyboard.png"))
    await owner.press_reply(label("form.phone.share"), "form.appeal_type.question")
    await expect(owner.messages.locator(".msg.out .contact").last).to_be_visible()
    await owner.press(label("appeal_type.complaint"), "form.category.question")
    await owner.press(label("category.permits"), "form.locality.question")
    await owner.press(label("locality.ust_kamenogorsk"), "form.body.question")
    await owner.say("Өскемен қаласы әкімдігінің сәулет бөлімі", "form.description.question")
    await owner.say(
        "Үш ай бойы цехты қайта жаңартуға рұқсат бермейді, «алғыс» туралы ишара жасайды.",
        "form.attachments.question",
    )
    await owner.press(label("form.attachments.skip"), "form.confidentiality.question")
    await owner.press(label("form.confidentiality.keep"), "form.summary.title")
    await owner.press(label("form.summary.submit"), "form.receipt.text")
    receipt = await owner.last_bot_message().inner_text()
    number = re.search(r"\d{4}-\d{6}", receipt)
    assert number, receipt
    return number.group(0)


async def topic_for(page: Page, number: str, timeout_ms: int) -> Locator | None:
    """The operator pane's topic entry naming the appeal, if the bot made one."""
    topic = page.get_by_test_id("topic").filter(has_text=number)
    try:
        await expect(topic).to_have_count(1, timeout=timeout_ms)
    except AssertionError:
        return None
    return topic
