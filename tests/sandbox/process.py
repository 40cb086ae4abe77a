"""``python -m bot sandbox`` as a subprocess, the way a developer starts it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
URL_LINE = re.compile(r"^Sandbox: (http://127\.0\.0\.1:\d+)$")
START_SECONDS = 120.0


class SandboxProcess:
    def __init__(self, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.url = ""
        self.output: list[str] = []
        inherited = os.environ.items()
        env = {k: v for k, v in inherited if not k.startswith(("BOT_", "OPERATOR_"))} | (env or {})
        env["PYTHONPATH"] = str(ROOT)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "sandbox", "--port", "0"],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self) -> str:
        """Read stdout until the sandbox prints its address (it does so once the bot polls)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line.rstrip("\n"))
            match = URL_LINE.match(line.strip())
            if match:
                self.url = match.group(1)
                return self.url
        self.stop()
        raise RuntimeError(f"the sandbox did not start:\n{self.describe()}")

    def bot_pid(self) -> int | None:
        """The pid of the bot child (the Python process whose parent is the sandbox)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid:
                return int(stat.parent.name)
        return None

    def stop(self, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read() if self.process.poll() is not None else ""

    def bot_log(self) -> str:
        log = self.workdir / "data" / "sandbox-bot.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def describe(self) -> str:
        return "\n".join([*self.output, self.stderr(), "--- bot log ---", self.bot_log()[-4000:]])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is not running any more.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
