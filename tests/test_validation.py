from __future__ import annotations

import pytest

from bot.services.validation import (
    Invalid,
    check_full_name,
    check_iin_bin,
    clean_text,
    normalise_phone,
)


def with_check_digit(first_eleven: str) -> str:
    """Append the check digit, computed independently of the module under test."""
    values = [int(ch) for ch in first_eleven]
    for weights in (range(1, 12), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        digit = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        if digit != 10:
            return first_eleven + str(digit)
    raise AssertionError(f"{first_eleven} has no valid check digit")


# Born 15 May 1990, man of the 20th century (digit 7 = 3).
IIN_MAN = with_check_digit("90051530123")
# Born 12 March 2005, woman of the 21st century (digit 7 = 6).
IIN_WOMAN = with_check_digit("05031260045")
# First pass: 8*1+8*2+0*3+7*4+1*5+5*6+3*7+0*8+1*9+8*10+0*11 = 197, 197 % 11 = 10;
# second pass: 8*3+8*4+0*5+7*6+1*7+5*8+3*9+0*10+1*11+8*1+0*2 = 191, 191 % 11 = 4.
IIN_SECOND_PASS = "880715301804"
# Both passes give 10 (230 and 197 modulo 11), so no last digit makes it valid.
NO_CHECK_DIGIT = "88071530183"


def test_helper_builds_expected_numbers() -> None:
    assert with_check_digit("94014000038") == "940140000385"
    assert with_check_digit("88071530180") == IIN_SECOND_PASS


@pytest.mark.parametrize("value", ["940140000385", "990140004654", " 940 140 000 385 "])
def test_valid_bins(value: str) -> None:
    assert check_iin_bin(value, legal_entity=True) == value.replace(" ", "")


@pytest.mark.parametrize("value", [IIN_MAN, IIN_WOMAN, IIN_SECOND_PASS])
def test_valid_iins(value: str) -> None:
    assert check_iin_bin(value, legal_entity=False) == value
    spaced = f"{value[:6]} {value[6:]}"
    assert check_iin_bin(spaced, legal_entity=False) == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "94014000038",
        "9401400003851",
        "94014000038a",
        "940-140-000-385",
        "９４０１４０００３８５",  # full-width digits
    ],
)
def test_wrong_length_or_not_digits(value: str) -> None:
    assert check_iin_bin(value, legal_entity=True) == Invalid("length")
    assert check_iin_bin(value, legal_entity=False) == Invalid("length")


def test_wrong_check_digit() -> None:
    assert check_iin_bin("940140000386", legal_entity=True) == Invalid("checksum")
    wrong = IIN_MAN[:11] + str((int(IIN_MAN[11]) + 1) % 10)
    assert check_iin_bin(wrong, legal_entity=False) == Invalid("checksum")


@pytest.mark.parametrize("last", "0123456789")
def test_no_check_digit_possible(last: str) -> None:
    assert check_iin_bin(NO_CHECK_DIGIT + last, legal_entity=False) == Invalid("checksum")


def test_iin_given_as_bin() -> None:
    assert check_iin_bin(IIN_MAN, legal_entity=True) == Invalid("not_bin")


@pytest.mark.parametrize(
    "value",
    [
        "940140000385",  # a BIN: the 5th digit is the entity type
        with_check_digit("90131530123"),  # month 13
        with_check_digit("90001530123"),  # month 00
        with_check_digit("90051570124"),  # digit 7 is 7
    ],
)
def test_not_an_iin(value: str) -> None:
    assert check_iin_bin(value, legal_entity=False) == Invalid("not_iin")


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
