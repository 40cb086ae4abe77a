"""py-spy around a child process: collapsed stacks, summarised as the hottest frames."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


async def record(pid: int, seconds: float, out: Path) -> asyncio.subprocess.Process | None:
    """Sample ``pid`` for ``seconds`` into ``out`` (collapsed stacks); None without py-spy."""
    tool = py_spy()
    if tool is None:
        print("py-spy not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return None
    return await asyncio.create_subprocess_exec(
        tool,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(seconds))),
        "--rate",
        "200",
        "--format",
        "raw",
        "--output",
        str(out),
        "--nonblocking",
        # Only the thread holding the GIL: what costs CPU. Threads waiting in a queue or in
        # epoll otherwise look busy (py-spy's idle test misses aiosqlite's and the executor's).
        "--gil",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def summary(collapsed: Path, top: int = 15) -> str:
    """Inclusive share of samples per frame group and the hottest leaf frames, as Markdown."""
    if not collapsed.exists():
        return "(no profile recorded)"
    total = 0
    leaves: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        leaves[_short(frames[-1])] += count
        for name in {_group(frame) for frame in frames}:
            groups[name] += count
    if not total:
        return "(no samples)"
    lines = [f"{total} samples. Inclusive share by area:", ""]
    for name, count in groups.most_common():
        if name:
            lines.append(f"- {name}: {100 * count / total:.0f} %")
    lines += ["", "Hottest leaf frames (self time):", ""]
    for name, count in leaves.most_common(top):
        lines.append(f"- {100 * count / total:.1f} % `{name}`")
    return "\n".join(lines)


def _short(frame: str) -> str:
    # py-spy frames look like "function (path/to/file.py:123)".
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


GROUPS = [
    ("sqlalchemy/", "SQLAlchemy (ORM + core)"),
    ("aiosqlite/", "aiosqlite (thread hand-off)"),
    ("sqlite3", "sqlite3 driver"),
    ("pydantic", "pydantic (aiogram types)"),
    ("aiogram/dispatcher", "aiogram dispatcher/routing"),
    ("aiogram/client", "aiogram client (requests)"),
    ("aiohttp/", "aiohttp"),
    ("json", "json"),
    ("/handlers/", "our handlers"),
    ("/bot/domain/", "our services"),
    ("/bot/middlewares/", "our middlewares"),
    ("/bot/storage.py", "our FSM storage"),
    ("asyncio/", "asyncio event loop"),
    ("logging/", "logging"),
]


def _group(frame: str) -> str:
    for marker, name in GROUPS:
        if marker in frame:
            return name
    return ""
