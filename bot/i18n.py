"""Message catalogs (locales/*.toml): every user-facing string in Kazakh and Russian."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

LANGUAGES = ("kk", "ru")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def load_catalog(language: str) -> dict[str, str]:
    """locales/<language>.toml and every locales/<part>.<language>.toml (a feature's own
    texts, e.g. sessions.kk.toml); a key defined twice is an error, not a silent override."""
    folder = resources.files("locales")
    parts = sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name.endswith(f".{language}.toml") and entry.name.count(".") == 2
    )
    names = [f"{language}.toml", *parts]
    catalog: dict[str, str] = {}
    for name in names:
        part = _flatten(tomllib.loads(folder.joinpath(name).read_text(encoding="utf-8")))
        twice = catalog.keys() & part.keys()
        if twice:
            raise ValueError(f"locales/{name} defines keys already defined: {sorted(twice)}")
        catalog.update(part)
    return catalog


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class I18n:
    def __init__(self, default_language: str = "kk") -> None:
        self.default_language = default_language
        self.catalogs = {language: load_catalog(language) for language in LANGUAGES}

    def pick(self, language: str | None) -> str:
        return language if language in self.catalogs else self.default_language

    def get(self, language: str | None, key: str, /, **values: Any) -> str:
        template = self.catalogs[self.pick(language)][key]
        return template.format(**values) if values else template

    def both(self, key: str, /, **values: Any) -> str:
        """Both languages, Kazakh first: for people whose language is not known yet."""
        return "\n".join(self.get(language, key, **values) for language in LANGUAGES)

    def all_variants(self, key: str) -> set[str]:
        """Every language's text of a key, e.g. to match a reply-keyboard button."""
        return {catalog[key] for catalog in self.catalogs.values()}

    def translator(self, language: str | None) -> Translator:
        return Translator(self, self.pick(language))


@dataclass(frozen=True)
class Translator:
    """A catalog bound to one language; handlers receive it as `t`."""

    i18n: I18n
    language: str

    def __call__(self, key: str, /, **values: Any) -> str:
        return self.i18n.get(self.language, key, **values)
