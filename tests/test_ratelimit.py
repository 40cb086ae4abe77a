from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.telegram.ratelimit import Limits, RateLimiter

GROUP = -1001


class FakeTime:
    """A monotonic clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def limiter(time: FakeTime, **limits: Any) -> RateLimiter:
    return RateLimiter(Limits(margin_s=0.0, **limits), clock=time, sleep=time.sleep)


async def send_times(rl: RateLimiter, time: FakeTime, chat_id: int, count: int) -> list[float]:
    times = []
    for _ in range(count):
        async with rl.sending(chat_id):
            times.append(time.now)
    return times


async def test_private_chat_gets_one_message_a_second_with_bursts_of_three() -> None:
    time = FakeTime()
    rl = limiter(time)
    times = await send_times(rl, time, 42, 7)
    # A reply of two or three messages goes at once; on average one a second.
    assert [t - times[0] for t in times] == [0.0, 0.0, 0.0, 3.0, 3.0, 3.0, 6.0]


async def test_group_allows_a_burst_of_twenty_then_waits_out_the_minute() -> None:
    time = FakeTime()
    rl = limiter(time)
    times = await send_times(rl, time, GROUP, 21)
    assert times[19] == times[0]
    assert times[20] - times[0] == pytest.approx(60.0)


async def test_total_limit_spans_chats() -> None:
    time = FakeTime()
    rl = limiter(time, total_per_s=3)
    times = [(await send_times(rl, time, chat, 1))[0] for chat in range(1, 8)]
    assert [t - times[0] for t in times] == [0, 0, 0, 1, 1, 1, 2]


async def test_a_send_counts_until_its_request_ends() -> None:
    time = FakeTime()
    rl = limiter(time, group_per_min=1)
    async with rl.sending(GROUP):
        time.now += 0.4  # the request takes a while
    await rl.acquire(GROUP)
    assert time.now == pytest.approx(1060.4)


async def test_margin_widens_every_window() -> None:
    time = FakeTime()
    rl = RateLimiter(Limits(margin_s=0.1), clock=time, sleep=time.sleep)
    times = await send_times(rl, time, 42, 4)
    assert times[3] - times[0] == pytest.approx(3.1)


async def test_retry_after_pauses_the_chat_only_until_several_chats_get_it() -> None:
    time = FakeTime()
    rl = limiter(time)
    assert rl.retry_after(1, 5) is False
    assert rl.wait(1, time.now) == 5 and rl.wait(2, time.now) == 0
    assert rl.retry_after(2, 5) is False
    assert rl.retry_after(3, 5) is True
    assert rl.wait(99, time.now) == 5


async def test_scaled_limits() -> None:
    assert Limits().scaled(20) == Limits(600, 20, 400)


async def test_slow_rates_become_one_per_interval() -> None:
    time = FakeTime()
    rl = limiter(time, private_per_s=0.2, group_per_min=0.5)
    private = await send_times(rl, time, 42, 2)
    group = await send_times(rl, time, GROUP, 2)
    assert private[1] - private[0] == pytest.approx(5.0)
    assert group[1] - group[0] == pytest.approx(120.0)


async def test_a_ticket_never_given_back_expires_at_last() -> None:
    time = FakeTime()
    rl = limiter(time, group_per_min=1)
    await rl.acquire(GROUP)  # never released
    await rl.acquire(GROUP)
    assert time.now - 1000 == pytest.approx(300.0, abs=0.1)


async def test_an_album_counts_one_message_per_item() -> None:
    time = FakeTime()
    rl = limiter(time)
    start = time.now
    for _ in range(4):  # four albums of five photos fill the group's minute
        rl.release(await rl.acquire(GROUP, messages=5))
    assert time.now == start
    rl.release(await rl.acquire(GROUP, messages=1))
    assert time.now - start == pytest.approx(60.0)


async def test_an_album_larger_than_a_window_waits_until_the_window_is_empty() -> None:
    time = FakeTime()
    rl = limiter(time)
    rl.release(await rl.acquire(42))
    time.now += 1.0
    rl.release(await rl.acquire(42, messages=10))  # three in any three seconds
    assert time.now == pytest.approx(1003.0)
    rl.release(await rl.acquire(42))
    assert time.now == pytest.approx(1006.0)


async def test_an_edit_counts_in_the_total_only() -> None:
    time = FakeTime()
    rl = limiter(time, group_per_min=1, total_per_s=2)
    rl.release(await rl.acquire(GROUP))
    rl.release(await rl.acquire(GROUP, messages=0))
    assert time.now == 1000.0
    rl.release(await rl.acquire(GROUP, messages=0))  # the total's second is full
    assert time.now == pytest.approx(1001.0)


async def test_a_call_of_unknown_moment_holds_up_its_chat_only() -> None:
    time = FakeTime()
    rl = limiter(time, total_per_s=2, group_per_min=1)
    rl.seed(GROUP, -5.0)  # a killed sender's call on the wire, counted until 5 s from now
    rl.release(await rl.acquire(42))  # another chat goes at once
    rl.release(await rl.acquire(43))  # the total counts the seeded call as made now
    assert time.now == pytest.approx(1001.0)
    assert rl.wait(GROUP, time.now) == pytest.approx(64.0)


async def test_sends_seeded_from_the_last_minute_leave_the_total_free() -> None:
    time = FakeTime()
    rl = limiter(time, total_per_s=2)
    for ago in (0.5, 30.0, 59.0):  # whatever their order, only the last second's counts
        rl.seed(GROUP, ago)
    rl.release(await rl.acquire(42))
    assert time.now == 1000.0
