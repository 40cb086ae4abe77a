from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.sandbox.clock import file_offset_clock


def test_sandbox_clock_reads_the_offset_file_each_time(tmp_path: Path) -> None:
    path = tmp_path / "sandbox-clock"
    clock = file_offset_clock(path)
    assert abs(clock() - datetime.now(UTC)) < timedelta(seconds=5)  # no file: real time
    path.write_text("86400\n")
    assert timedelta(hours=23) < clock() - datetime.now(UTC) < timedelta(hours=25)
    path.write_text("nonsense")
    assert abs(clock() - datetime.now(UTC)) < timedelta(seconds=5)
    path.write_text(str(10**9))
    assert clock() - datetime.now(UTC) < timedelta(days=367)  # capped
