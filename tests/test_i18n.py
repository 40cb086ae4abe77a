from __future__ import annotations

import re

from bot.i18n import LANGUAGES, load_catalog, placeholders

CYRILLIC_KAZAKH_LETTERS = set("әғқңөұүһі")


def test_catalogs_have_same_keys_and_placeholders() -> None:
    kk, ru = (load_catalog(language) for language in LANGUAGES)
    assert set(kk) == set(ru), set(kk) ^ set(ru)
    for key in kk:
        assert placeholders(kk[key]) == placeholders(ru[key]), key


def test_html_tags_balanced_in_every_string() -> None:
    for language in LANGUAGES:
        for key, value in load_catalog(language).items():
            opened = re.findall(r"<(b|i|u|code|pre|a)[ >]", value)
            closed = re.findall(r"</(b|i|u|code|pre|a)>", value)
            assert sorted(opened) == sorted(closed), (language, key)


def test_kazakh_catalog_is_kazakh() -> None:
    """A crude guard against Russian text pasted into kk: longer strings use Kazakh letters."""
    kk, ru = load_catalog("kk"), load_catalog("ru")
    long_keys = [key for key, value in kk.items() if len(value) > 40]
    assert long_keys
    for key in long_keys:
        assert CYRILLIC_KAZAKH_LETTERS & set(kk[key].lower()), key
        assert kk[key] != ru[key], key
