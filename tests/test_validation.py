from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import SendMessage

from bot.app import create_application
from bot.config import Settings
from bot.domain.validation import (
    Invalid,
    check_full_name,
    check_iin_bin,
    clean_text,
    normalise_phone,
)
from bot.i18n import I18n
from tests.support import updates as up
from tests.support.harness import TEST_TOKEN, Harness
from tests.support.recording import RecordingSession

TODAY = date(2026, 12, 1)


def check_digit(first_eleven: str) -> int | None:
    """The check digit, computed independently of the module under test."""
    values = [int(ch) for ch in first_eleven]
    for weights in (range(1, 12), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        digit = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        if digit != 10:
            return digit
    return None


def with_check_digit(first_eleven: str) -> str:
    digit = check_digit(first_eleven)
    if digit is None:
        raise AssertionError(f"{first_eleven} has no valid check digit")
    return first_eleven + str(digit)


def numbered(head: str) -> str:
    """12 digits: `head`, then the first serial number that has a check digit, then that."""
    for serial in range(1, 100):
        first_eleven = head + str(serial).zfill(11 - len(head))
        if check_digit(first_eleven) is not None:
            return with_check_digit(first_eleven)
    raise AssertionError(head)


def iin(birth: str, century: str) -> str:
    """An IIN with a good check digit: birth date YYMMDD, century-and-sex digit."""
    return numbered(birth + century)


def bin_(registered: str, entity: str = "4", division: str = "0") -> str:
    """A BIN with a good check digit: registration YYMM, entity type, division digits."""
    return numbered(registered + entity + division)


# Born 15 May 1990, man of the 20th century (digit 7 = 3).
IIN_MAN = with_check_digit("90051530123")
# Born 12 March 2005, woman of the 21st century (digit 7 = 6).
IIN_WOMAN = with_check_digit("05031260045")
# First pass: 8*1+8*2+0*3+7*4+1*5+5*6+3*7+0*8+1*9+8*10+0*11 = 197, 197 % 11 = 10;
# second pass: 8*3+8*4+0*5+7*6+1*7+5*8+3*9+0*10+1*11+8*1+0*2 = 191, 191 % 11 = 4.
IIN_SECOND_PASS = "880715301804"
# Both passes give 10 (230 and 197 modulo 11), so no last digit makes it valid.
NO_CHECK_DIGIT = "88071530183"
BIN_HALYK = "940140000385"
# A BIN whose both passes give 10 (197 and 98 modulo 11).
BIN_NO_CHECK_DIGIT = "94014000096"


def test_helpers_build_expected_numbers() -> None:
    assert with_check_digit("94014000038") == BIN_HALYK
    assert with_check_digit("88071530180") == IIN_SECOND_PASS
    assert check_digit(NO_CHECK_DIGIT) is None
    assert check_digit(BIN_NO_CHECK_DIGIT) is None
    assert iin("900101", "3") == "900101300017"


# --- accepted ------------------------------------------------------------------------------

# The numbers the other tests, the benchmarks and the sandbox type: they must stay valid.
SAMPLE_IINS = ["900101300017", "880712300121", "850315400124"]
SAMPLE_BINS = [BIN_HALYK, "990140004654", "120840005678"]

ACCEPTED_IINS = [
    *SAMPLE_IINS,
    IIN_MAN,
    IIN_WOMAN,
    IIN_SECOND_PASS,
    iin("991231", "1"),  # 1899, man
    iin("990101", "2"),  # 1899, woman
    iin("000229", "5"),  # 29 February 2000: 2000 is a leap year
    iin("960229", "4"),  # 29 February 1996
    iin("900131", "3"),  # 31 January
    iin("261201", "5"),  # born today
]
ACCEPTED_BINS = [
    *SAMPLE_BINS,
    bin_("9001"),  # January 1990
    bin_("2612"),  # this month
    bin_("0512", "5"),  # non-resident legal entity
    bin_("1506", "6"),  # joint individual entrepreneurship
    bin_("1703", "4", "1"),  # branch
    bin_("1811", "5", "2"),  # representative office
    bin_("2010", "6", "3"),  # peasant farm
]


@pytest.mark.parametrize("value", ACCEPTED_IINS)
def test_iin_accepted(value: str) -> None:
    assert check_iin_bin(value, legal_entity=False, today=TODAY) == value


@pytest.mark.parametrize("value", ACCEPTED_BINS)
def test_bin_accepted(value: str) -> None:
    assert check_iin_bin(value, legal_entity=True, today=TODAY) == value


@pytest.mark.parametrize(
    ("typed", "legal"),
    [
        ("9401-4000-0385", True),
        ("940 140 000 385", True),
        ("940-140-000-385", True),
        (" 940140 000385 ", True),
        ("9401\u201340000\u2013385", True),  # en dashes, as phones autocorrect
        ("94\u00a001\u00a040\u00a0000385", True),  # no-break spaces
        ("940140000385\u200e", True),  # a left-to-right mark pasted with it
        ("900101-300017", False),
        ("900101 300017", False),
        ("9001 0130 0017", False),
    ],
)
def test_spaces_and_dashes_removed(typed: str, legal: bool) -> None:
    expected = BIN_HALYK if legal else "900101300017"
    assert check_iin_bin(typed, legal_entity=legal, today=TODAY) == expected


# --- refused, each with its reason ---------------------------------------------------------

REFUSED_IINS = [
    # wrong length or characters
    ("", "length"),
    ("90010130001", "length"),
    ("9001013000170", "length"),
    ("90010130001a", "length"),
    ("900.101.300.017", "length"),
    ("900101/300017", "length"),
    ("\uff19\uff10\uff10\uff11\uff10\uff11\uff13\uff10\uff10\uff10\uff11\uff17", "length"),
    ("-- -- --", "length"),
    # century-and-sex digit
    (iin("900101", "0"), "century"),
    (iin("900101", "7"), "century"),
    (iin("900101", "8"), "century"),
    (iin("900101", "9"), "century"),
    # impossible birth dates
    (iin("900230", "3"), "birth_date"),  # 30 February
    (iin("010229", "5"), "birth_date"),  # 29 February 2001
    (iin("900229", "3"), "birth_date"),  # 29 February 1990
    (iin("000229", "3"), "birth_date"),  # 29 February 1900: not a leap year
    (iin("900431", "3"), "birth_date"),  # 31 April
    (iin("900100", "3"), "birth_date"),  # day 00
    *[(iin(f"9001{day}", "3"), "birth_date") for day in range(32, 40)],
    (iin("900001", "3"), "birth_date"),  # month 00
    (iin("901301", "3"), "birth_date"),  # month 13
    # born in the future
    (iin("261202", "5"), "birth_future"),  # tomorrow
    (iin("270101", "6"), "birth_future"),
    (iin("990101", "6"), "birth_future"),  # 2099
    # a typo: the check digit does not match
    (IIN_MAN[:11] + str((int(IIN_MAN[11]) + 1) % 10), "checksum"),
    *[(NO_CHECK_DIGIT + last, "checksum") for last in "0123456789"],
    # a BIN, valid as such, typed for an individual entrepreneur
    (BIN_HALYK, "not_iin"),
    (bin_("2010", "6", "3"), "not_iin"),
]

REFUSED_BINS = [
    ("", "length"),
    ("94014000038", "length"),
    ("9401400003851", "length"),
    ("94014000038a", "length"),
    ("940_140_000_385", "length"),
    # month of registration
    (bin_("9400"), "bin_month"),
    (bin_("9413"), "bin_month"),
    (bin_("9499"), "bin_month"),
    # entity type (5th digit) and division (6th digit)
    *[(bin_("9401", "4", str(division)), "bin_type") for division in range(4, 10)],
    *[(bin_("9401", str(entity)), "bin_type") for entity in (0, 1, 2, 3, 7, 8, 9)],
    # registered in the future
    (bin_("2701"), "registration_future"),  # next month
    (bin_("8912"), "registration_future"),  # 2089
    # a typo: the check digit does not match
    ("940140000386", "checksum"),
    *[(BIN_NO_CHECK_DIGIT + last, "checksum") for last in "0123456789"],
    # an IIN, valid as such, typed for a legal entity
    (IIN_MAN, "not_bin"),
    ("900101300017", "not_bin"),
]


@pytest.mark.parametrize(("value", "reason"), REFUSED_IINS)
def test_iin_refused_with_reason(value: str, reason: str) -> None:
    assert check_iin_bin(value, legal_entity=False, today=TODAY) == Invalid(reason)


@pytest.mark.parametrize(("value", "reason"), REFUSED_BINS)
def test_bin_refused_with_reason(value: str, reason: str) -> None:
    assert check_iin_bin(value, legal_entity=True, today=TODAY) == Invalid(reason)


def test_refused_samples_have_good_check_digits() -> None:
    """The structural refusals are of numbers whose check digit is right: the reason is the
    structure, not a typo."""
    structural = [v for v, r in REFUSED_IINS + REFUSED_BINS if r not in ("length", "checksum")]
    for value in structural:
        assert check_digit(value[:11]) == int(value[11]), value


def test_structure_is_reported_before_a_typo() -> None:
    """A wrong digit in the date or type part usually breaks the check digit too: the reason
    names the part to look at."""
    wrong_date = iin("900230", "3")
    wrong_date = wrong_date[:11] + str((int(wrong_date[11]) + 1) % 10)
    assert check_iin_bin(wrong_date, legal_entity=False, today=TODAY) == Invalid("birth_date")
    wrong_type = bin_("9401", "4", "7")
    wrong_type = wrong_type[:11] + str((int(wrong_type[11]) + 1) % 10)
    assert check_iin_bin(wrong_type, legal_entity=True, today=TODAY) == Invalid("bin_type")


def test_today_decides_what_is_future() -> None:
    born = iin("261202", "5")
    assert check_iin_bin(born, legal_entity=False, today=TODAY) == Invalid("birth_future")
    assert check_iin_bin(born, legal_entity=False, today=date(2026, 12, 2)) == born
    registered = bin_("2701")
    assert check_iin_bin(registered, legal_entity=True, today=TODAY) == Invalid(
        "registration_future"
    )
    assert check_iin_bin(registered, legal_entity=True, today=date(2027, 1, 1)) == registered


def test_today_defaults_to_the_system_date() -> None:
    today = date.today()
    tomorrow = today + timedelta(days=1)
    born_today = iin(today.strftime("%y%m%d"), "5")
    born_tomorrow = iin(tomorrow.strftime("%y%m%d"), "5")
    assert check_iin_bin(born_today, legal_entity=False) == born_today
    assert check_iin_bin(born_tomorrow, legal_entity=False) == Invalid("birth_future")


# --- what the owner sees at the IIN/BIN step -----------------------------------------------

I18N = I18n("kk")
OWNER = 811
# 20:00 UTC on 1 December is already 2 December in Almaty (UTC+5).
CLOCK = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[Harness]:
    """The application whose clock stands at CLOCK."""
    session = RecordingSession()
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    app = await create_application(settings, migrate=False, bot=bot, clock=lambda: CLOCK)
    yield Harness(app, session)
    await app.close()


def texts(calls: list[Any]) -> list[str]:
    return [c.text for c in calls if isinstance(c, SendMessage) and int(c.chat_id) > 0]


async def reach_iin_step(h: Harness, language: str, *, legal: bool) -> None:
    await h.feed(up.text(OWNER, "/start"))
    await h.feed(up.callback(OWNER, f"lang:{language}"))
    await h.feed(up.text(OWNER, "/new"))
    await h.feed(up.callback(OWNER, "f:consent:agree"))
    await h.feed(up.text(OWNER, "Сейткали Айгерім Нұрланқызы"))
    await h.feed(up.callback(OWNER, f"f:applicant_kind:{'le' if legal else 'ie'}"))


async def fsm(h: Harness) -> tuple[str | None, dict[str, Any]]:
    key = StorageKey(bot_id=h.bot.id, chat_id=OWNER, user_id=OWNER)
    return await h.dispatcher.storage.get_state(key), await h.dispatcher.storage.get_data(key)


STEP_CASES = [
    ("ru", False, "12345", "length"),
    ("kk", True, "9401-4000-038", "length"),
    ("kk", False, iin("900101", "0"), "century"),
    ("ru", False, iin("900230", "3"), "birth_date"),
    ("kk", False, iin("010229", "5"), "birth_date"),
    ("ru", False, iin("900135", "3"), "birth_date"),
    ("kk", False, iin("261203", "5"), "birth_future"),
    ("ru", True, bin_("9413"), "bin_month"),
    ("kk", True, bin_("9401", "4", "7"), "bin_type"),
    ("ru", True, bin_("2701"), "registration_future"),
    ("ru", False, "900101300018", "checksum"),
    ("kk", True, "940140000386", "checksum"),
    ("ru", False, BIN_HALYK, "not_iin"),
    ("kk", True, "900101300017", "not_bin"),
]


@pytest.mark.parametrize(("language", "legal", "typed", "reason"), STEP_CASES)
async def test_step_shows_the_reason_and_asks_again(
    clocked: Harness, language: str, legal: bool, typed: str, reason: str
) -> None:
    await reach_iin_step(clocked, language, legal=legal)
    before = await fsm(clocked)
    question = I18N.get(language, f"form.iin_bin.question_{'le' if legal else 'ie'}")

    sent = texts(await clocked.feed(up.text(OWNER, typed)))
    assert sent[0] == I18N.get(language, f"form.iin_bin.invalid_{reason}")
    assert question in sent[-1]
    assert await fsm(clocked) == before  # nothing stored, the earlier answers kept

    good = "9401 4000 0385" if legal else "900101-300017"
    sent = texts(await clocked.feed(up.text(OWNER, good)))
    follows = "form.company.question" if legal else "form.phone.question"
    assert I18N.get(language, follows) in sent[-1]
    _, data = await fsm(clocked)
    assert data["iin_bin"] == good.replace(" ", "").replace("-", "")
    assert data["full_name"] == "Сейткали Айгерім Нұрланқызы"


async def test_step_takes_today_from_the_bot_clock_in_local_time(clocked: Harness) -> None:
    """Born on 2 December 2026: already today in Almaty by the bot's clock, though 1 December
    in UTC (3 December is refused as future in STEP_CASES, whatever the machine's date)."""
    await reach_iin_step(clocked, "ru", legal=False)
    sent = texts(await clocked.feed(up.text(OWNER, iin("261202", "5"))))
    assert I18N.get("ru", "form.phone.question") in sent[-1]


async def test_summary_shows_why_a_saved_number_is_refused(clocked: Harness) -> None:
    """A number saved before the stricter checks (e.g. a reused profile) is refused at Submit
    with its reason, and the IIN step is asked again."""
    await reach_iin_step(clocked, "kk", legal=False)
    h = clocked
    await h.feed(up.text(OWNER, "900101300017"))
    await h.feed(up.contact(OWNER, "77011234567"))
    await h.feed(up.callback(OWNER, "f:appeal_type:complaint"))
    await h.feed(up.callback(OWNER, "f:category:construction"))
    await h.feed(up.callback(OWNER, "f:locality:ridder"))
    await h.feed(up.text(OWNER, "Отдел строительства акимата г. Риддер, специалист Иванов"))
    await h.feed(up.text(OWNER, "Акимат третий месяц не выдаёт разрешение, требуя «помощь»."))
    await h.feed(up.callback(OWNER, "f:attachments:skip"))
    sent = texts(await h.feed(up.callback(OWNER, "f:confidentiality:keep")))
    assert I18N.get("kk", "form.summary.title") in sent[-1]
    key = StorageKey(bot_id=h.bot.id, chat_id=OWNER, user_id=OWNER)
    await h.dispatcher.storage.update_data(key, {"iin_bin": iin("900230", "3")})

    sent = texts(await h.feed(up.callback(OWNER, "f:summary:submit")))
    assert sent[0] == I18N.get("kk", "form.iin_bin.invalid_birth_date")
    assert I18N.get("kk", "form.iin_bin.question_ie") in sent[-1]


@pytest.mark.parametrize(
    "value",
    [
        "+7 701 123 45 67",
        "87011234567",
        "8 (701) 123-45-67",
        "77011234567",
        "+77011234567",
        "+7 (701) 123-45-67",
        "  8 701 123 45 67 ",
    ],
)
def test_phone_shapes_accepted(value: str) -> None:
    assert normalise_phone(value) == "+77011234567"


def test_landline_accepted() -> None:
    assert normalise_phone("8 (7232) 57-12-34") == "+77232571234"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "7011234567",  # no country or trunk prefix
        "+7701123456",  # too short
        "+770112345678",  # too long
        "877011234567",
        "+79161234567",  # Russia
        "89161234567",  # Russia, trunk prefix
        "+998901234567",  # Uzbekistan
        "+87011234567",
        "+7 701 ABC 45 67",
        "+7 701 123 45 67 ext 1",
        "7+7011234567",
        "+7 701 123 45 67+",
    ],
)
def test_phone_rejected(value: str) -> None:
    assert normalise_phone(value) is None


def test_clean_text_strips_and_collapses_spaces_but_keeps_newlines() -> None:
    assert clean_text("  Hello \t  world \n\n second\tline  ") == "Hello world\n\nsecond line"
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("a\u00a0\u00a0b") == "a b"


def test_clean_text_removes_invisible_and_control_chars() -> None:
    zero_width = "\u200b\u200c\u200d\u2060\ufeff"
    assert clean_text(f"пa{zero_width}ра") == "пaра"
    assert clean_text("bell\x07 and\x00 nul\x1b") == "bell and nul"
    assert clean_text("\ufeff  text") == "text"


def test_clean_text_removes_bidi_controls_and_keeps_rtl_letters() -> None:
    bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    assert clean_text(f"file{bidi}txt.exe") == "filetxt.exe"
    assert clean_text("\u202eשלום عالم") == "שלום عالم"


def test_clean_text_keeps_ordinary_text() -> None:
    text = "Сәлем, Қазақстан! Жалоба №5 — 100 %"
    assert clean_text(text) == text


@pytest.mark.parametrize(
    "value",
    [
        "Иванов Иван Иванович",
        "Әбдіқадыров Нұрлан",
        "Ғалымжан Өмірзақов",
        "Үмбетова Һәжар Іңкәрқызы",
        "John Smith",
        "Мамин-Сибиряк Дмитрий",
        "О'Нил Шон",
        "Д’Артаньян Шарль",
        "Ли А",
    ],
)
def test_names_accepted(value: str) -> None:
    assert check_full_name(value) == value


def test_name_is_cleaned() -> None:
    assert check_full_name("  Иванов \u200b  Иван\n Иванович ") == "Иванов Иван Иванович"


def test_name_with_combining_mark_counts_as_letters() -> None:
    assert check_full_name("Сергеи\u0306 Ли") == "Сергей Ли"


@pytest.mark.parametrize("value", ["", "   ", "И", "Иванов", "\u200bИ\u200b"])
def test_name_too_short(value: str) -> None:
    assert check_full_name(value) == Invalid("too_short")


def test_name_too_long() -> None:
    long_name = ("Абвгдеёжзий " * 20).strip()
    assert len(long_name) > 200
    assert check_full_name(long_name) == Invalid("too_long")
    fits = ("Абвгдеёжзи " * 18).strip()
    assert len(fits) <= 200
    assert check_full_name(fits) == fits


@pytest.mark.parametrize(
    "value",
    [
        "Иван1 Петров",
        "Иван Петров!",
        "Иванов И.И.",
        "-Иван Петров",
        "Иван- Петров",
        "Иван--Петров Сидор",
        "Иван Петров 😀",
        "محمد علي",
        "Ivan_Petrov Sidor",
    ],
)
def test_name_with_other_characters(value: str) -> None:
    assert check_full_name(value) == Invalid("letters")
