"""ReadPacer: readers of many descriptors woken together, once per window."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from uiserver.scheduler.pacer import HAVE_EPOLL, ReadPacer

pytestmark = pytest.mark.timeout(30)

needs_epoll = pytest.mark.skipif(not HAVE_EPOLL, reason="batched reading needs epoll")


class Pipe:
    """A pipe whose reader drains it and notes the loop time of each call."""

    def __init__(self, calls: list[tuple[str, float]], name: str) -> None:
        self.name = name
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self._calls = calls

    def write(self) -> None:
        os.write(self.write_fd, b"x")

    def on_readable(self) -> None:
        os.read(self.read_fd, 1024)
        self._calls.append((self.name, asyncio.get_running_loop().time()))

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.write_fd)


@pytest.fixture
def calls() -> list[tuple[str, float]]:
    return []


@pytest.fixture
def pipes(calls) -> Iterator[list[Pipe]]:
    made = [Pipe(calls, f"p{n}") for n in range(3)]
    yield made
    for pipe in made:
        pipe.close()


async def wait_for_calls(calls: list, count: int) -> None:
    async with asyncio.timeout(5):
        while len(calls) < count:
            await asyncio.sleep(0.005)


@needs_epoll
async def test_readers_wait_for_the_window_then_run_in_one_pass(pipes, calls):
    pacer = ReadPacer(0.2)
    try:
        for pipe in pipes:
            pacer.add(pipe.read_fd, pipe.on_readable)
        loop = asyncio.get_running_loop()
        started = loop.time()
        pipes[0].write()
        await asyncio.sleep(0.05)
        pipes[2].write()  # arrives during the window: handled with the first
        await wait_for_calls(calls, 2)
        assert sorted(name for name, _ in calls) == ["p0", "p2"]
        assert all(when - started >= 0.2 for _, when in calls)
        assert pacer.passes == 1
        # One more look a window later finds nothing: back to watching.
        await asyncio.sleep(0.5)
        assert len(calls) == 2 and pacer.passes == 2
        await asyncio.sleep(0.3)
        assert pacer.passes == 2
        # The next message opens a new window.
        written = loop.time()
        pipes[1].write()
        await wait_for_calls(calls, 3)
        assert calls[-1][0] == "p1" and calls[-1][1] - written >= 0.2 and pacer.passes == 3
    finally:
        pacer.close()


@needs_epoll
async def test_a_busy_set_is_looked_at_once_per_window(pipes):
    """Messages arriving all the time are read in passes a window apart, no more often."""
    pacer = ReadPacer(0.1)
    loop = asyncio.get_running_loop()
    passes: dict[int, float] = {}  # pass number -> when it started reading
    received = 0

    def reader(pipe: Pipe):
        def on_readable() -> None:
            nonlocal received
            passes.setdefault(pacer.passes, loop.time())
            received += len(os.read(pipe.read_fd, 1024))
        return on_readable

    try:
        for pipe in pipes:
            pacer.add(pipe.read_fd, reader(pipe))
        for n in range(30):
            pipes[n % 3].write()
            await asyncio.sleep(0.02)
        async with asyncio.timeout(5):
            while received < 30:
                await asyncio.sleep(0.02)
        # 0.6 s of messages, read in passes a window apart (about 5 a pass).
        times = [passes[n] for n in sorted(passes)]
        assert 3 <= len(times) <= 8
        assert all(b - a >= 0.1 for a, b in zip(times, times[1:]))
    finally:
        pacer.close()


async def test_window_zero_reads_at_once(pipes, calls):
    pacer = ReadPacer(0)
    try:
        assert not pacer.batched
        pacer.add(pipes[0].read_fd, pipes[0].on_readable)
        pipes[0].write()
        await wait_for_calls(calls, 1)
        assert pacer.passes == 0
        pacer.remove(pipes[0].read_fd)
        pipes[0].write()
        await asyncio.sleep(0.05)
        assert len(calls) == 1
    finally:
        pacer.close()


@needs_epoll
async def test_a_descriptor_removed_mid_pass_is_not_called(pipes, calls):
    pacer = ReadPacer(0.1)

    def remove_the_others() -> None:
        pipes[0].on_readable()
        pacer.remove(pipes[1].read_fd)
        pacer.remove(pipes[2].read_fd)

    try:
        pacer.add(pipes[0].read_fd, remove_the_others)
        pacer.add(pipes[1].read_fd, pipes[1].on_readable)
        pacer.add(pipes[2].read_fd, pipes[2].on_readable)
        for pipe in pipes:
            pipe.write()
        await wait_for_calls(calls, 1)
        await asyncio.sleep(0.2)
        # p1 and p2 ran only if epoll listed them before p0.
        position = [name for name, _ in calls].index("p0")
        assert len(calls) == position + 1 and len(pacer) == 1
        pipes[1].write()
        await asyncio.sleep(0.2)
        assert len(calls) == position + 1
    finally:
        pacer.close()


@needs_epoll
async def test_a_failing_reader_does_not_stop_the_others(pipes, calls, caplog):
    pacer = ReadPacer(0.05)

    def broken() -> None:
        os.read(pipes[0].read_fd, 1024)
        raise RuntimeError("boom")

    try:
        pacer.add(pipes[0].read_fd, broken)
        pacer.add(pipes[1].read_fd, pipes[1].on_readable)
        pipes[0].write()
        pipes[1].write()
        await wait_for_calls(calls, 1)
        assert calls[0][0] == "p1"
        assert "reader of descriptor" in caplog.text
        # Still watching afterwards.
        pipes[1].write()
        await wait_for_calls(calls, 2)
    finally:
        pacer.close()


@needs_epoll
async def test_a_reader_that_leaves_data_is_called_again_next_window(pipes, calls):
    pacer = ReadPacer(0.05)
    seen: list[float] = []

    def lazy() -> None:
        seen.append(asyncio.get_running_loop().time())

    try:
        pacer.add(pipes[0].read_fd, lazy)
        pipes[0].write()
        async with asyncio.timeout(5):
            while len(seen) < 3:
                await asyncio.sleep(0.01)
        # Level-triggered, but at most once per window: never a busy loop.
        assert all(b - a >= 0.05 for a, b in zip(seen, seen[1:]))
    finally:
        pacer.close()


@needs_epoll
async def test_close_stops_everything(pipes, calls):
    pacer = ReadPacer(0.05)
    pacer.add(pipes[0].read_fd, pipes[0].on_readable)
    pipes[0].write()
    await asyncio.sleep(0)  # the window has opened
    pacer.close()
    await asyncio.sleep(0.15)
    assert calls == [] and len(pacer) == 0


async def test_a_descriptor_is_paced_once(pipes):
    pacer = ReadPacer(0.05)
    try:
        pacer.add(pipes[0].read_fd, pipes[0].on_readable)
        with pytest.raises(ValueError, match="already paced"):
            pacer.add(pipes[0].read_fd, pipes[0].on_readable)
    finally:
        pacer.close()
