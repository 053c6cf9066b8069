"""ConnectGate: how many sessions connect and seed at once."""

from __future__ import annotations

import asyncio

import pytest

from uiserver.sync.gate import ConnectGate


async def test_gate_lets_limit_through_and_queues_the_rest():
    gate = ConnectGate(2, hold=60)
    first, second = await gate.enter(), await gate.enter()
    third = asyncio.create_task(gate.enter())
    await asyncio.sleep(0.01)
    assert not third.done() and gate.in_use == 2 and gate.waiting == 1
    first.release()
    slot = await asyncio.wait_for(third, 1)
    assert gate.in_use == 2 and gate.waiting == 0
    # Releasing twice gives back one slot only.
    first.release()
    assert gate.in_use == 2
    second.release()
    slot.release()
    assert gate.in_use == 0 and not slot.held


async def test_slot_gives_itself_back_after_hold():
    """A session stuck in its handshake delays the queue by `hold`, not its timeout."""
    gate = ConnectGate(1, hold=0.2)
    stuck = await gate.enter()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    nxt = await asyncio.wait_for(gate.enter(), 2)
    assert 0.15 < loop.time() - t0 < 1.0
    assert not stuck.held and nxt.held
    # The stuck session's own release later must not free the next one's slot.
    stuck.release()
    assert gate.in_use == 1
    nxt.release()
    assert gate.in_use == 0


async def test_cancelled_wait_takes_no_slot():
    gate = ConnectGate(1, hold=60)
    held = await gate.enter()
    waiter = asyncio.create_task(gate.enter())
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert gate.waiting == 0
    held.release()
    again = await asyncio.wait_for(gate.enter(), 1)
    assert gate.in_use == 1
    again.release()


def test_gate_needs_a_limit():
    with pytest.raises(ValueError):
        ConnectGate(0, hold=1)
