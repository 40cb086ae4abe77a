from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"BOT_TOKEN": "123456:TEST-token-for-the-local-emulator", "OPERATOR_CHAT_ID": "-1001"}


def clean_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return {**keep, **extra}


def run_bot(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_token_one_line_exit_2(tmp_path: Path) -> None:
    result = run_bot(tmp_path, clean_env())
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0] and "config.env" in lines[0]
    assert "Traceback" not in result.stderr


def test_malformed_value_names_variable(tmp_path: Path) -> None:
    result = run_bot(tmp_path, clean_env(**{**GOOD, "OPERATOR_CHAT_ID": "group"}))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "OPERATOR_CHAT_ID" in result.stderr


def test_config_file_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BOT_TOKEN", "OPERATOR_CHAT_ID", "LOG_LEVEL", "DEFAULT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "config.env"
    env_file.write_text(
        "BOT_TOKEN=111:file-token-aaaaaaaaaaaaaaaaaaaa\nOPERATOR_CHAT_ID=-100777\nLOG_LEVEL=DEBUG\n"
    )
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    settings = load_settings(str(env_file))
    assert settings.OPERATOR_CHAT_ID == -100777
    assert settings.LOG_LEVEL == "WARNING"
    assert settings.DEFAULT_LANGUAGE == "kk"
    assert settings.TIMEZONE == "Asia/Almaty"
    assert settings.DATABASE_URL.startswith("sqlite+aiosqlite:///data/")
    assert "file-token" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFAULT_LANGUAGE", "en"),
        ("TIMEZONE", "Mars/Olympus"),
        ("BOT_API_URL", "localhost:8081"),
        ("DATABASE_URL", "sqlite:///x.db"),
        ("HOLIDAYS_EXTRA", "2026-13-01"),
    ],
)
def test_bad_values_rejected(name: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, good in GOOD.items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    assert str(info.value).startswith(name)
