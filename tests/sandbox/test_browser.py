"""The sandbox page in a real browser (Debian's Chromium driven by Playwright), against the
real bot process: an owner files an appeal by clicking and typing, as a person would, and
staff ask for the office's figures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sandbox.browser import (
    HAVE_PLAYWRIGHT,
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
    from playwright.async_api import Page, expect

pytestmark = needs_browser


@pytest.fixture
async def page(sandbox: SandboxProcess) -> AsyncIterator[Page]:
    async with browser_page(sandbox.url) as page:
        yield page


async def test_owner_files_in_kazakh_and_staff_answer_arrives(page: Page) -> None:
    owner = OwnerPane(page, "kk")
    number = await file_appeal(owner, "Асель", "Жұмабаева Асель Маратқызы")

    receipt = owner.last_bot_message()
    await expect(receipt).to_contain_text("Өтініш тіркелді")
    await expect(receipt.locator("b").first).to_have_text("Өтініш тіркелді")  # <b> rendered
    assert await receipt.locator("script, img, iframe").count() == 0
    await page.screenshot(path=artifact("sandbox-owner-receipt.png"))

    # the appeal has its topic with the card; a staff member answers from the operator pane
    topic = await topic_for(page, number, timeout_ms=10_000)
    assert topic is not None, f"no topic for appeal {number} in the operator group"
    await topic.click()
    await expect(page.locator("#topic-title")).to_contain_text(number)
    messages = page.get_by_test_id("group-messages")
    await expect(messages).to_contain_text("КОНФИДЕНЦИАЛЬНО")
    await page.get_by_test_id("staff-select").select_option(label="Дина Оспанова · admin")
    answer = "Сәлеметсіз бе! Өтінішіңіз қарауға қабылданды, мерзімінде жауап береміз."
    box = page.get_by_test_id("group-input")
    await box.fill(answer)
    await box.press("Enter")
    await expect(messages.locator(".msg.out").last).to_contain_text(answer)
    reply = owner.last_bot_message()
    await expect(reply).to_contain_text(answer, timeout=STEP_MS)
    await expect(reply).to_contain_text("Жобалық кеңсе")
    await page.screenshot(path=artifact("sandbox-staff-answer.png"))


async def test_staff_see_the_figures_and_a_chart_in_the_operator_pane(page: Page) -> None:
    """/stats in General: the figures text, then the charts as an album of real PNG images."""
    # An appeal of this month, so that the month has something to chart. Ерлан: the other
    # tests file as Асель and Ольга, and a second appeal would start by offering their data.
    owner = OwnerPane(page, "kk")
    await file_appeal(owner, "Ерлан", "Сейітов Ерлан Болатұлы", screenshot=False)

    await page.get_by_test_id("topic").filter(has_text="General").click()
    await expect(page.locator("#topic-title")).to_have_text("General")
    await page.get_by_test_id("staff-select").select_option(label="Дина Оспанова · admin")
    box = page.get_by_test_id("group-input")
    await box.fill("/stats")
    await box.press("Enter")

    messages = page.get_by_test_id("group-messages")
    figures = messages.locator(".msg.in").filter(has_text=frag("ru", "figures.text.title")).last
    await expect(figures).to_contain_text(frag("ru", "figures.text.received"), timeout=STEP_MS)
    await expect(messages).to_contain_text(frag("ru", "figures.press_title.kk"), timeout=STEP_MS)

    month_title = frag("ru", "figures.chart.month_title")
    chart_img = page.locator(f'.photos img[alt*="{month_title}"]')
    album = messages.locator(".msg.in").filter(has=chart_img).last
    chart = album.locator(chart_img)
    await expect(chart).to_be_visible(timeout=STEP_MS)
    await chart.scroll_into_view_if_needed()
    # Loaded and drawn: a chart of matplotlib's size, not the emulator's 8-pixel stand-in.
    loaded = "img => img.complete && img.naturalWidth > 300"
    await page.wait_for_function(loaded, arg=await chart.element_handle(), timeout=STEP_MS)
    await expect(album.locator(".text").first).to_contain_text(month_title)
    await page.screenshot(path=artifact("sandbox-stats-charts.png"))


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
