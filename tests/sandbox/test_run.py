"""``python -m bot sandbox`` as one command: it starts everything and stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.sandbox.process import SandboxProcess, pid_alive


def fetch(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status)


def test_sigterm_stops_the_bot_the_page_and_the_emulator(tmp_path: Path) -> None:
    sandbox = SandboxProcess(tmp_path)
    url = sandbox.wait_ready()
    # While it prepares it says what it is doing, one line per stage, before the address.
    said = "\n".join(sandbox.output)
    stages = ["Telegram emulator at", "applying migrations", "database ready", "starting the bot"]
    stages += ["long-polling", "Sandbox: http://"]
    assert [said.index(stage) for stage in stages] == sorted(said.index(s) for s in stages)
    bot = sandbox.bot_pid()
    assert bot is not None and pid_alive(bot)
    assert fetch(url) == 200
    assert (tmp_path / "data" / "sandbox.db").exists()

    assert sandbox.stop() == 0, sandbox.describe()
    assert not pid_alive(bot)
    with pytest.raises(urllib.error.URLError):
        fetch(url)
    assert "Traceback" not in sandbox.bot_log()


def test_the_sandbox_says_so_and_fails_when_the_bot_dies(tmp_path: Path) -> None:
    sandbox = SandboxProcess(tmp_path)
    sandbox.wait_ready()
    bot = sandbox.bot_pid()
    assert bot is not None
    os.kill(bot, signal.SIGKILL)
    try:
        code = sandbox.process.wait(30)
    except subprocess.TimeoutExpired:
        sandbox.stop()
        raise
    assert code == 1
    assert "the bot exited with code -9" in sandbox.stderr()
