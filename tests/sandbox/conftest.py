"""The one sandbox (``python -m bot sandbox``) the browser tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox.process import SandboxProcess

# The bot's own scheduler then runs once, at start: whatever a clock jump brings (a digest,
# an alert) can only come from the jump itself.
SLOW_SCHEDULER = {"SCHEDULER_INTERVAL_SECONDS": "3600"}


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    process = SandboxProcess(tmp_path_factory.mktemp("sandbox"), env=SLOW_SCHEDULER)
    process.wait_ready()
    yield process
    process.stop()
