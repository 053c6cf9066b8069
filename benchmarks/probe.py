"""A passive subscriber on each scheduler's PUB socket, to split latency in two.

It records when each batch (keyed by the workflow's ``last_updated``) reached
this machine's sockets, so a client frame's delay can be split into the
scheduler's own publish delay (probe time - lastUpdated, the same for both
servers) and the UI server's share (client receive time - probe time).

A scheduler publishes a batch as its per-type topics, ``workflow`` among them,
then ``all`` (protocol §4), and a busy scheduler can take hundreds of
milliseconds between the two. Both arrivals are kept: a workspace frame is
timed from ``all`` (the UI server cannot show task proxies before they
arrive), a sidebar frame from ``workflow`` (all it shows is in that message).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from pathlib import Path

import zmq
import zmq.asyncio

from benchmarks.client import Frame
from uiserver.scheduler.keys import load_keys
from uiserver.scheduler.messages import AllDeltas, WDeltas

__all__ = ["PubProbe", "batch_key"]


def batch_key(last_updated: float) -> float:
    """The key a batch time is matched by (JSON and protobuf doubles agree to 1 µs)."""
    return round(last_updated, 6)


class PubProbe:
    """Subscribes to the ``workflow`` and ``all`` topics of every given scheduler."""

    TOPICS = ("workflow", "all")

    def __init__(self, run_dirs: dict[str, Path], contacts: dict[str, tuple[str, int]]) -> None:
        self.context = zmq.asyncio.Context()
        #: topic -> batch key -> time.time() when that topic's message arrived
        self.seen: dict[str, dict[float, float]] = {topic: {} for topic in self.TOPICS}
        self._tasks: list[asyncio.Task] = []
        for workflow_id, run_dir in run_dirs.items():
            host, pub_port = contacts[workflow_id]
            keys = load_keys(run_dir / ".service")
            sock = self.context.socket(zmq.SUB)
            sock.curve_publickey = keys.client_public
            sock.curve_secretkey = keys.client_secret
            sock.curve_serverkey = keys.server_public
            sock.linger = 0
            for topic in self.TOPICS:
                sock.subscribe(topic.encode())
            sock.connect(f"tcp://127.0.0.1:{pub_port}")
            self._tasks.append(asyncio.create_task(self._run(sock)))

    async def _run(self, sock: zmq.asyncio.Socket) -> None:
        try:
            while True:
                topic, payload = await sock.recv_multipart()
                now = time.time()
                if topic == b"all":
                    seen, delta = self.seen["all"], AllDeltas.FromString(payload).workflow
                else:
                    seen, delta = self.seen["workflow"], WDeltas.FromString(payload)
                for part in (delta.updated, delta.added):
                    if part.HasField("last_updated"):
                        seen.setdefault(batch_key(part.last_updated), now)
        finally:
            sock.close(0)

    def delay(self, last_updated: float) -> float | None:
        """Seconds from ``last_updated`` to the batch's first message at the probe, or None."""
        seen = self.seen["workflow"].get(batch_key(last_updated))
        return None if seen is None else seen - last_updated

    def timed(self, frames: Iterable[Frame], topic: str) -> list[tuple[Frame, float]]:
        """Each frame whose batch's ``topic`` message was seen, with that arrival time."""
        seen = self.seen[topic]
        return [
            (frame, arrival) for frame in frames if frame.last_updated is not None
            and (arrival := seen.get(batch_key(frame.last_updated))) is not None
        ]

    def all_after_workflow(self, since: float, until: float) -> list[float]:
        """Seconds from each batch's ``workflow`` message (seen in [since, until]) to its ``all``."""
        after = self.seen["all"]
        return [
            after[key] - at for key, at in self.seen["workflow"].items()
            if since <= at <= until and key in after
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
        self.context.term()
