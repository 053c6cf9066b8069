"""Asyncio SUB subscriber for a scheduler's data channel (protocol §4)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Iterable

import zmq
import zmq.asyncio
from zmq.utils.monitor import parse_monitor_message

from .client import apply_curve
from .errors import RequestTimeout, SchedulerError
from .keys import CurveKeys
from .pacer import ReadPacer

__all__ = ["SchedulerSubscriber"]

log = logging.getLogger("uiserver.scheduler")

_HANDSHAKE_EVENTS = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
)


_monitor_ids = itertools.count()

# A plain int: ``getsockopt`` returns one, and ``int & PollEvent`` would build
# an enum member on every test.
_POLLIN = int(zmq.POLLIN)


class SchedulerSubscriber:
    """A SUB socket on one scheduler's PUB port, read by awaiting, never polling.

    Topics are ZMQ prefix filters; every topic this server uses (``all``,
    ``workflow``, ``shutdown``) is a prefix of no other topic.

    The data socket is a plain (blocking-API) socket read with ``NOBLOCK``,
    woken by the event loop watching its ``ZMQ_FD``, with one silence timer
    that re-arms itself rather than one ``asyncio.timeout`` per message. A
    message then costs one callback and one future where ``zmq.asyncio``
    took about a dozen callbacks, futures and timer handles. Given a
    :class:`~.pacer.ReadPacer`, the socket is watched through it, so its
    messages are read together with other sockets' once per window.
    """

    def __init__(
        self,
        context: zmq.asyncio.Context,
        host: str,
        port: int,
        keys: CurveKeys,
        topics: Iterable[bytes],
        *,
        pacer: ReadPacer | None = None,
    ) -> None:
        self.endpoint = f"tcp://{host}:{port}"
        self._socket: zmq.Socket = context.socket(zmq.SUB, socket_class=zmq.Socket)
        self._monitor: zmq.asyncio.Socket | None = None
        self.topics: set[bytes] = set()
        try:
            self._socket.linger = 0
            apply_curve(self._socket, keys)
            # What get_monitor_socket does, but with an asyncio PAIR to await on.
            monitor_address = f"inproc://uiserver-sub-monitor-{next(_monitor_ids)}"
            self._socket.monitor(monitor_address, _HANDSHAKE_EVENTS)
            self._monitor = context.socket(zmq.PAIR)
            self._monitor.connect(monitor_address)
            self.set_topics(topics)
            self._socket.connect(self.endpoint)
        except BaseException:
            # Out of sockets or file descriptors, say: leave nothing open.
            self._close_monitor()
            self._socket.close(linger=0)
            raise
        self._fd: int = self._socket.getsockopt(zmq.FD)
        self._pacer = pacer
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._deadline: float | None = None
        self._timeout: float | None = None
        self._handler: Callable[[bytes, bytes], bool] | None = None
        #: A message the handler declined, for the next recv().
        self._held: tuple[bytes, bytes] | None = None
        self._timer: asyncio.TimerHandle | None = None
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
                    assert self._monitor is not None, "wait_connected called twice"
                    event = parse_monitor_message(await self._monitor.recv_multipart())
                    if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                        # The monitor is two more ZMQ sockets per workflow:
                        # done with once connected.
                        self._close_monitor()
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

    def handle_at_once(self, handler: Callable[[bytes, bytes], bool] | None) -> None:
        """Give each message to ``handler`` as soon as it is read, without a task switch.

        The socket's callback (or its pacer's pass) then reads the messages
        itself and calls ``handler(topic, payload)``, which returns False for
        a message it cannot handle there (it must not raise). That message is
        the next one :meth:`recv` returns, and nothing more is read until
        then; :meth:`recv` offers what it reads to ``handler`` too, so it only
        ever returns declined messages. A handled message counts as arrived
        for :meth:`recv`'s timeout. None goes back to :meth:`recv` alone.
        """
        self._handler = handler

    async def recv(self, timeout: float | None = None) -> tuple[bytes, bytes]:
        """Await the next well-formed ``[topic, payload]`` message.

        :param timeout: seconds from this call after which, if nothing has
            arrived, :class:`TimeoutError` is raised (None: wait for ever).

        Cancelling this coroutine does not lose a message: messages stay in
        ZMQ's queue until read. Messages that are not exactly two frames are
        logged and skipped.
        """
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
            if self._pacer is not None:
                self._pacer.add(self._fd, self._on_readable)
            else:
                loop.add_reader(self._fd, self._on_readable)
        self._timeout = timeout
        self._deadline = None if timeout is None else loop.time() + timeout
        while True:
            held = self._held
            if held is not None:
                self._held = None
                return held
            message = self._next_waiting()
            if message is None:
                await self._readable(loop)
            elif not self._offer(message):
                return message

    def _next_waiting(self) -> tuple[bytes, bytes] | None:
        """The next well-formed message ZMQ holds for us; None if none is waiting.

        Asking ``ZMQ_EVENTS`` first, rather than catching ``zmq.Again`` in
        :meth:`recv`, keeps its await out of an except block (which would hold
        the exception and its traceback for as long as the link waits).
        """
        sock = self._socket
        while sock.getsockopt(zmq.EVENTS) & _POLLIN:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return None
            message = self._check(frames)
            if message is not None:
                return message
        return None

    def _offer(self, message: tuple[bytes, bytes]) -> bool:
        """Whether the handler took ``message``; a taken message counts as arrived
        (the silence a waiting :meth:`recv` times out on restarts)."""
        handler = self._handler
        if handler is None or not handler(*message):
            return False
        if self._timeout is not None and self._loop is not None:
            self._deadline = self._loop.time() + self._timeout
        return True

    def _check(self, frames: list[bytes]) -> tuple[bytes, bytes] | None:
        """Count a message; ``(topic, payload)``, or None (logged) if it is not two frames."""
        self.received += 1
        if len(frames) == 2:
            return frames[0], frames[1]
        log.warning(
            "%s: skipping a message of %d frames (expected [topic, payload])",
            self.endpoint,
            len(frames),
        )
        return None

    async def _readable(self, loop: asyncio.AbstractEventLoop) -> None:
        """Return once a message may be waiting; TimeoutError after ``_deadline``."""
        deadline = self._deadline
        if deadline is not None:
            if loop.time() >= deadline:
                raise TimeoutError
            # One timer serves many waits: keep an earlier one and let it
            # re-arm itself for the current deadline when it fires.
            if self._timer is None or self._timer.when() > deadline:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer = loop.call_at(deadline, self._on_timer)
        waiter = self._waiter = loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _on_readable(self) -> None:
        # Reading ZMQ_EVENTS clears the FD's signal (else a level-triggered
        # selector would call back for ever), whether or not anyone waits.
        if self._socket.closed:
            return
        waiter = self._waiter
        waiting = waiter is not None and not waiter.done()
        if self._handler is not None and self._held is None and waiting:
            # Only while recv() waits: a session busy elsewhere (a health
            # check, a snapshot) reads its messages itself when done.
            if self._handle_waiting():
                return  # all handled, and ZMQ_EVENTS read on the way
        elif not self._socket.getsockopt(zmq.EVENTS) & _POLLIN and self._held is None:
            return
        if waiting:
            waiter.set_result(None)  # type: ignore[union-attr]

    def _handle_waiting(self) -> bool:
        """Hand every waiting message to the handler; False if one was declined (held)."""
        while (message := self._next_waiting()) is not None:
            if not self._offer(message):
                self._held = message
                return False
        return True

    def _on_timer(self) -> None:
        self._timer = None
        waiter, deadline, loop = self._waiter, self._deadline, self._loop
        if waiter is None or waiter.done() or deadline is None or loop is None:
            return
        if loop.time() >= deadline:
            waiter.set_exception(TimeoutError())
        else:
            self._timer = loop.call_at(deadline, self._on_timer)

    def close(self) -> None:
        """Close both sockets at once (linger 0); a pending :meth:`recv` is cancelled."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._loop is not None:
            # Before closing: the FD number is reused by the next socket.
            if self._pacer is not None:
                self._pacer.remove(self._fd)
            else:
                self._loop.remove_reader(self._fd)
            self._loop = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.cancel()
        self._close_monitor()
        self._socket.close(linger=0)

    def _close_monitor(self) -> None:
        if self._monitor is not None:
            with contextlib.suppress(zmq.ZMQError):
                self._socket.disable_monitor()
            self._monitor.close(linger=0)
            self._monitor = None
