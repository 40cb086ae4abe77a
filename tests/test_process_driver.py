"""bot.sandbox.process: both launchers start a tiny module the way `python -m` would."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.sandbox.process import (
    LAUNCHER_ENV,
    BotProcess,
    ProcessExited,
    StartTimeout,
    http_ready,
    polled_since,
    resolve_launcher,
)

ROOT = Path(__file__).resolve().parents[1]

# Reports what it sees into $REPORT, says so on stdout and stderr, then waits for signals.
CHILD = """
import json, os, signal, sys
from pathlib import Path

def on_term(signum, frame):
    print("got SIGTERM", flush=True)
    sys.exit(int(os.environ.get("TERM_CODE", "0")))

signal.signal(signal.SIGTERM, on_term)
fds = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
report = {
    "pid": os.getpid(),
    "env": dict(os.environ),
    "cwd": os.getcwd(),
    "argv": sys.argv,
    "path0": sys.path[0],
    "name": __name__,
    "fds": fds,
    "sigint": repr(signal.getsignal(signal.SIGINT)),
    "sigpipe": repr(signal.getsignal(signal.SIGPIPE)),
}
print("child up", os.getpid(), flush=True)
print("child stderr", file=sys.stderr, flush=True)
Path(os.environ["REPORT"] + ".tmp").write_text(json.dumps(report))
os.replace(os.environ["REPORT"] + ".tmp", os.environ["REPORT"])
while True:
    signal.pause()
"""

EXITS = "import sys\nprint('giving up', flush=True)\nsys.exit(3)\n"

LAUNCH = pytest.mark.parametrize("launcher", ["fork", "spawn"])


@pytest.fixture
def modules(tmp_path: Path) -> Path:
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "tiny_child.py").write_text(CHILD)
    (folder / "tiny_exits.py").write_text(EXITS)
    return folder


def make(
    tmp_path: Path, modules: Path, launcher: str, name: str = "a", **extra: str
) -> tuple[BotProcess, Path]:
    report = tmp_path / f"{name}.json"
    env = {
        "PYTHONPATH": os.pathsep.join([str(modules), str(ROOT)]),
        "REPORT": str(report),
        "PYTHONCOERCECLOCALE": "0",  # else a C locale makes Python add LC_CTYPE itself
        "ONLY_HERE": name,
        **extra,
    }
    workdir = tmp_path / f"work-{name}"
    workdir.mkdir()
    process = BotProcess(
        env, workdir, tmp_path / f"{name}.log", module="tiny_child", launcher=launcher
    )
    return process, report


def read(report: Path) -> dict[str, Any]:
    return json.loads(report.read_text())


def exists(path: str) -> bool:
    return Path(path).exists()


@LAUNCH
async def test_start_waits_for_ready_and_kill_reaps(
    tmp_path: Path, modules: Path, launcher: str, capfd: pytest.CaptureFixture[str]
) -> None:
    process, report = make(tmp_path, modules, launcher)
    await process.start(report.exists, timeout=60)
    assert process.running and process.returncode is None
    seen = read(report)
    assert seen["pid"] == process.pid  # the real pid, not a launcher's
    assert seen["name"] == "__main__"
    assert seen["argv"][0].endswith("tiny_child.py")
    assert seen["cwd"] == str(tmp_path / "work-a") == seen["path0"]
    assert "default_int_handler" in seen["sigint"]
    assert "SIG_IGN" in seen["sigpipe"]
    # Only the log file, /dev/null and pipes: no socket of this test process.
    assert not [fd for fd, target in seen["fds"].items() if target.startswith("socket:")]
    assert seen["fds"]["1"] == seen["fds"]["2"] == str(tmp_path / "a.log")

    assert await process.kill() == -9
    assert process.returncode == -9 and not process.running
    assert not exists(f"/proc/{seen['pid']}")  # reaped, no zombie left
    log = process.log()
    assert "child up" in log and "child stderr" in log
    assert "child up" not in capfd.readouterr().out


@LAUNCH
async def test_stop_sends_sigterm_and_returns_the_exit_code(
    tmp_path: Path, modules: Path, launcher: str
) -> None:
    process, report = make(tmp_path, modules, launcher, TERM_CODE="7")
    await process.start(report.exists)
    assert await process.stop(timeout=30) == 7
    assert process.returncode == 7
    assert "got SIGTERM" in process.log()
    # Restart: the same log is appended to.
    report.unlink()
    await process.start(report.exists)
    assert await process.stop() == 7
    assert process.log().count("child up") == 2


@LAUNCH
async def test_env_is_exactly_the_given_one(
    tmp_path: Path, modules: Path, launcher: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKED_FROM_PARENT", "1")
    process, report = make(tmp_path, modules, launcher)
    await process.start(report.exists)
    try:
        assert read(report)["env"] == process.env
    finally:
        await process.kill()


@LAUNCH
async def test_two_children_at_once(tmp_path: Path, modules: Path, launcher: str) -> None:
    (first, first_report), (second, second_report) = (
        make(tmp_path, modules, launcher, "one"),
        make(tmp_path, modules, launcher, "two"),
    )
    await asyncio.gather(first.start(first_report.exists), second.start(second_report.exists))
    try:
        assert first.pid != second.pid
        assert read(first_report)["env"]["ONLY_HERE"] == "one"
        assert read(second_report)["env"]["ONLY_HERE"] == "two"
        assert await first.stop() == 0
        assert second.running
    finally:
        await second.kill()
    assert "child up" in first.log() and "child up" in second.log()
    assert str(second.pid) not in first.log()


@LAUNCH
async def test_exit_or_timeout_at_start_raise_with_the_log(
    tmp_path: Path, modules: Path, launcher: str
) -> None:
    process, report = make(tmp_path, modules, launcher)
    process.module = "tiny_exits"
    with pytest.raises(ProcessExited, match="giving up") as exited:
        await process.start(report.exists, timeout=60)
    assert exited.value.returncode == 3 == process.returncode

    process.module = "tiny_child"
    with pytest.raises(StartTimeout, match="was not ready within 2 s"):
        await process.start(lambda: False, timeout=2)
    assert process.returncode == -9  # killed, not left running


async def test_an_async_ready_check(tmp_path: Path, modules: Path) -> None:
    process, report = make(tmp_path, modules, "fork")

    async def ready() -> bool:
        await asyncio.sleep(0)
        return report.exists()

    await process.start(ready)
    assert await process.kill() == -9


def test_launcher_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LAUNCHER_ENV, raising=False)
    assert resolve_launcher() == "fork"
    monkeypatch.setenv(LAUNCHER_ENV, "spawn")
    assert resolve_launcher() == "spawn"
    assert BotProcess({}, ".", "x.log").launcher == "spawn"
    assert resolve_launcher("fork") == "fork"  # an explicit choice wins
    monkeypatch.setenv(LAUNCHER_ENV, "thread")
    with pytest.raises(ValueError, match="thread"):
        resolve_launcher()


def test_polled_since_looks_only_after_the_mark() -> None:
    class Emu:
        calls: list[dict[str, Any]] = [{"method": "getUpdates"}, {"method": "getMe"}]  # noqa: RUF012

    emu = Emu()
    ready = polled_since(emu, len(emu.calls))
    assert ready() is False
    emu.calls.append({"method": "sendMessage"})
    assert ready() is False
    emu.calls.append({"method": "getUpdates"})
    assert ready() is True
    assert polled_since(emu, 0)() is True


async def test_http_ready() -> None:
    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await http_ready(f"http://127.0.0.1:{port}/healthz")() is True
        assert await http_ready(f"http://127.0.0.1:{port}/missing")() is False
    finally:
        await runner.cleanup()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    assert await http_ready(f"http://127.0.0.1:{closed}/healthz")() is False
