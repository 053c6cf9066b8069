"""Asyncio SUB subscriber for a scheduler's data channel (protocol §4)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import zmq
import zmq.asyncio
from zmq.utils.monitor import parse_monitor_message

from .client import apply_curve
from .errors import RequestTimeout, SchedulerError
from .keys import CurveKeys

__all__ = ["SchedulerSubscriber"]

log = logging.getLogger("uiserver.scheduler")

_HANDSHAKE_EVENTS = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
)


class SchedulerSubscriber:
    """A SUB socket on one scheduler's PUB port, read by awaiting, never polling.

    Topics are ZMQ prefix filters; every topic this server uses (``all``,
    ``workflow``, ``shutdown``) is a prefix of no other topic.
    """

    def __init__(
        self,
        context: zmq.asyncio.Context,
        host: str,
        port: int,
        keys: CurveKeys,
        topics: Iterable[bytes],
    ) -> None:
        self.endpoint = f"tcp://{host}:{port}"
        self._socket = context.socket(zmq.SUB)
        self._socket.linger = 0
        apply_curve(self._socket, keys)
        self._monitor = self._socket.get_monitor_socket(_HANDSHAKE_EVENTS)
        self.topics: set[bytes] = set()
        self.set_topics(topics)
        self._socket.connect(self.endpoint)
        #: Messages received, for tests and metrics.
        self.received = 0

    def set_topics(self, topics: Iterable[bytes]) -> None:
        """Subscribe to ``topics`` and unsubscribe from any others."""
        wanted = set(topics)
        for topic in wanted - self.topics:
            self._socket.subscribe(topic)
        for topic in self.topics - wanted:
            self._socket.unsubscribe(topic)
        self.topics = wanted

    async def wait_connected(self, timeout: float) -> None:
        """Wait until the CurveZMQ handshake with the publisher has succeeded.

        Subscribing only takes effect once the handshake is done, so waiting
        for it before taking a snapshot narrows the slow-joiner window. It also
        turns a rejected key into a clear error instead of mere silence.

        :raises SchedulerError: the handshake failed (wrong or stale keys).
        :raises RequestTimeout: no handshake in time (scheduler hung or gone).
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = parse_monitor_message(await self._monitor.recv_multipart())
                    if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                        return
                    # ZMQ keeps retrying after a failed handshake, but with the
                    # same keys it cannot succeed: report it now.
                    raise SchedulerError(
                        f"CurveZMQ handshake with {self.endpoint} failed"
                        f" (event {event['event']}): keys wrong or out of date"
                    )
        except TimeoutError:
            raise RequestTimeout(
                f"no CurveZMQ handshake with {self.endpoint} within {timeout:g}s"
            ) from None

    async def recv(self) -> tuple[bytes, bytes]:
        """Await the next well-formed ``[topic, payload]`` message.

        Cancelling this coroutine does not lose a message (pyzmq leaves it
        queued). Messages that are not exactly two frames are logged and
        skipped.
        """
        while True:
            frames = await self._socket.recv_multipart()
            self.received += 1
            if len(frames) == 2:
                return frames[0], frames[1]
            log.warning(
                "%s: skipping a message of %d frames (expected [topic, payload])",
                self.endpoint,
                len(frames),
            )

    def close(self) -> None:
        """Close both sockets at once (linger 0)."""
        self._socket.disable_monitor()
        self._monitor.close(linger=0)
        self._socket.close(linger=0)
