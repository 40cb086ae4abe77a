"""The sandbox page in a real browser (Debian's Chromium driven by Playwright), against the
real bot process: an owner files an appeal by clicking and typing, as a person would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.i18n import I18n
from tests.sandbox.process import ROOT, SandboxProcess

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
ARTIFACTS = ROOT / "test-artifacts"
STEP_MS = 20_000
I18N = I18n("kk")
IIN = "900101300017"

pytestmark = pytest.mark.skipif(
    not (HAVE_PLAYWRIGHT and CHROMIUM.exists()),
    reason="needs the playwright package and Chromium at /usr/bin/chromium",
)


def t(language: str, key: str) -> str:
    return I18N.get(language, key)


def frag(language: str, key: str) -> str:
    """A plain-text piece of a catalog string that the page must show."""
    text = re.sub(r"<[^>]+>", "", t(language, key))
    return text.split("{")[0].split("\n")[0].strip()[:40]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    process = SandboxProcess(tmp_path_factory.mktemp("sandbox"))
    process.wait_ready()
    yield process
    process.stop()


@pytest.fixture
async def page(sandbox: SandboxProcess) -> AsyncIterator[Page]:
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(
            viewport={"width": 1440, "height": 900}, locale="ru-RU", timezone_id="Asia/Almaty"
        )
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(sandbox.url)
        await expect(page.get_by_test_id("connection")).to_have_text("live")
        yield page
        await browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


class OwnerPane:
    """The left pane, used only through what a person sees and clicks."""

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


async def file_appeal(owner: OwnerPane, persona: str, full_name: str) -> str:
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
    await owner.page.screenshot(path=ARTIFACTS / f"sandbox-{lang}-reply-keyboard.png")
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


async def test_owner_files_in_kazakh_and_staff_answer_arrives(page: Page) -> None:
    owner = OwnerPane(page, "kk")
    number = await file_appeal(owner, "Асель", "Жұмабаева Асель Маратқызы")

    receipt = owner.last_bot_message()
    await expect(receipt).to_contain_text("Өтініш тіркелді")
    await expect(receipt.locator("b").first).to_have_text("Өтініш тіркелді")  # <b> rendered
    assert await receipt.locator("script, img, iframe").count() == 0
    await page.screenshot(path=ARTIFACTS / "sandbox-owner-receipt.png")

    # the appeal has its topic with the card; a staff member answers from the operator pane
    topic = await topic_for(page, number, timeout_ms=10_000)
    assert topic is not None, f"no topic for appeal {number} in the operator group"
    await topic.click()
    await expect(page.locator("#topic-title")).to_contain_text(number)
    messages = page.get_by_test_id("group-messages")
    await expect(messages).to_contain_text("КОНФИДЕНЦИАЛЬНО")
    await page.get_by_test_id("staff-select").select_option(label="Дина Оспанова · admin")
    answer = "Сәлеметсіз бе! Өтінішіңіз жұмысқа алынды, мерзімінде жауап береміз."
    box = page.get_by_test_id("group-input")
    await box.fill(answer)
    await box.press("Enter")
    await expect(messages.locator(".msg.out").last).to_contain_text(answer)
    reply = owner.last_bot_message()
    await expect(reply).to_contain_text(answer, timeout=STEP_MS)
    await expect(reply).to_contain_text("Жобалық кеңсе")
    await page.screenshot(path=ARTIFACTS / "sandbox-staff-answer.png")


async def test_page_clock_moves_sandbox_time(page: Page, sandbox: SandboxProcess) -> None:
    offset = page.get_by_test_id("clock-offset")
    await page.get_by_role("button", name="+1 day").click()
    await expect(offset).to_have_text("+1 d")
    await page.get_by_role("button", name="+1 hour").click()
    await expect(offset).to_have_text("+1 d 1 h")
    clock_file = sandbox.workdir / "data" / "sandbox-clock"
    assert clock_file.read_text() == f"{25 * 3600}\n"
    await page.get_by_role("button", name="Reset").click()
    await expect(offset).to_have_text("real time")
    assert not clock_file.exists()


async def test_rich_text_makes_only_telegram_tags(page: Page) -> None:
    """Text goes in as text; only Telegram's tags come out, and only safe links."""
    html = await page.evaluate(
        """async () => {
            const { richText } = await import("/static/rich.js");
            const render = (text, entities) => {
                const box = document.createElement("div");
                box.append(richText(text, entities));
                return box.innerHTML;
            };
            return [
                render("<b>x</b> bold italic link evil", [
                    { type: "bold", offset: 9, length: 11 },
                    { type: "italic", offset: 14, length: 6 },
                    { type: "text_link", offset: 21, length: 4, url: "https://adal.kz/a" },
                    { type: "text_link", offset: 26, length: 4, url: "javascript:alert(1)" },
                ]),
                render("😀 жирный", [{ type: "bold", offset: 3, length: 6 }]),
            ];
        }"""
    )
    assert html == [
        "&lt;b&gt;x&lt;/b&gt; <b>bold <i>italic</i></b> "
        '<a href="https://adal.kz/a" target="_blank" rel="noopener noreferrer">link</a> '
        '<span class="link-blocked" title="link not allowed">evil</span>',
        "😀 <b>жирный</b>",
    ]
