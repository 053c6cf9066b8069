"""A passive subscriber on each scheduler's PUB socket, to split latency in two.

It records when each batch (keyed by the workflow's ``last_updated``) reached
this machine's sockets, so a client frame's delay can be split into the
scheduler's own publish delay (probe time - lastUpdated, the same for both
servers) and the UI server's share (client receive time - probe time).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import zmq
import zmq.asyncio

from uiserver.scheduler.keys import load_keys
from uiserver.scheduler.messages import WDeltas

__all__ = ["PubProbe", "batch_key"]


def batch_key(last_updated: float) -> float:
    """The key a batch time is matched by (JSON and protobuf doubles agree to 1 µs)."""
    return round(last_updated, 6)


class PubProbe:
    """Subscribes to the ``workflow`` topic of every given scheduler."""

    def __init__(self, run_dirs: dict[str, Path], contacts: dict[str, tuple[str, int]]) -> None:
        self.context = zmq.asyncio.Context()
        self.seen: dict[float, float] = {}  # batch key -> time.time() at the probe
        self._tasks: list[asyncio.Task] = []
        for workflow_id, run_dir in run_dirs.items():
            host, pub_port = contacts[workflow_id]
            keys = load_keys(run_dir / ".service")
            sock = self.context.socket(zmq.SUB)
            sock.curve_publickey = keys.client_public
            sock.curve_secretkey = keys.client_secret
            sock.curve_serverkey = keys.server_public
            sock.linger = 0
            sock.subscribe(b"workflow")
            sock.connect(f"tcp://127.0.0.1:{pub_port}")
            self._tasks.append(asyncio.create_task(self._run(sock)))

    async def _run(self, sock: zmq.asyncio.Socket) -> None:
        try:
            while True:
                _topic, payload = await sock.recv_multipart()
                now = time.time()
                delta = WDeltas.FromString(payload)
                for part in (delta.updated, delta.added):
                    if part.HasField("last_updated"):
                        self.seen.setdefault(batch_key(part.last_updated), now)
        finally:
            sock.close(0)

    def delay(self, last_updated: float) -> float | None:
        """Seconds from ``last_updated`` to the probe, or None if not seen."""
        seen = self.seen.get(batch_key(last_updated))
        return None if seen is None else seen - last_updated

    def arrival(self, last_updated: float) -> float | None:
        return self.seen.get(batch_key(last_updated))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
        self.context.term()
