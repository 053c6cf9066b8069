"""A bound on how many sessions connect and seed at the same time."""

from __future__ import annotations

import asyncio

__all__ = ["ConnectGate", "ConnectSlot"]


class ConnectSlot:
    """One session's place through the gate; give it back with :meth:`release`.

    It also gives itself back ``hold`` seconds after it was taken, so that a
    scheduler that hangs mid-handshake delays the sessions queued behind it
    by at most that long, never by its whole request timeout.
    """

    __slots__ = ("_gate", "_timer")

    def __init__(self, gate: ConnectGate, hold: float) -> None:
        self._gate: ConnectGate | None = gate
        self._timer = asyncio.get_running_loop().call_later(hold, self.release)

    def release(self) -> None:
        """Let the next session through (idempotent)."""
        gate, self._gate = self._gate, None
        if gate is not None:
            self._timer.cancel()
            gate._give_back()

    @property
    def held(self) -> bool:
        return self._gate is not None


class ConnectGate:
    """Lets at most ``limit`` sessions through their connect-and-seed stretch.

    Opening the sidebar on hundreds of workflows starts a session for each at
    once. While it connects, a session holds three more ZMQ sockets than it
    keeps (the REQ socket and the two of the handshake monitor) and a CurveZMQ
    handshake per socket. Without a bound, 500 workflows meant 2,000 sockets
    and 1,000 handshakes at the same moment, and the heap grew by their peak
    and stayed fragmented afterwards. Through the gate, the transient sockets
    of one batch reuse the memory of the previous one's, and the handshakes
    do not all compete for the same CPU.
    """

    def __init__(self, limit: int, hold: float) -> None:
        if limit < 1:
            raise ValueError("the connect gate needs a limit of at least 1")
        self.limit = limit
        self.hold = hold
        self._semaphore = asyncio.Semaphore(limit)
        #: Slots held now, and sessions queued for one (for tests and metrics).
        self.in_use = 0
        self.waiting = 0

    async def enter(self) -> ConnectSlot:
        """Wait for a slot; cancelling the wait takes none."""
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
        self.in_use += 1
        return ConnectSlot(self, self.hold)

    def _give_back(self) -> None:
        self.in_use -= 1
        self._semaphore.release()
