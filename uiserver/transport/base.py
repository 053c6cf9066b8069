"""What both websocket protocols share: decoding, operations, timers and closing."""

from __future__ import annotations

import abc
import asyncio
import json
import logging
from collections.abc import AsyncIterator, Coroutine, Hashable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from .connection import TRY_AGAIN_LATER, TransportClosed, cap_close_reason
from .operations import ConnectionRefused, OperationError
from .options import ProtocolOptions
from .registry import Operation, OperationRegistry, spawn

if TYPE_CHECKING:
    from .connection import Transport
    from .operations import ConnectHook, ConnectionContext, Executor

__all__ = ["BadMessage", "ProtocolHandler", "encode_id"]

log = logging.getLogger("uiserver.transport")


class BadMessage(Exception):
    """An inbound message broke the protocol; ``reason`` says how."""

    def __init__(self, reason: str, op_id: Hashable | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.op_id = op_id


def encode_id(op_id: Hashable) -> bytes:
    """Encode an operation id for splicing into a frame."""
    return json.dumps(op_id).encode()


def encode(message: dict[str, Any]) -> bytes:
    """Encode a control message compactly."""
    return json.dumps(message, separators=(",", ":")).encode()


class ProtocolHandler(abc.ABC):
    """One GraphQL-over-WebSocket connection, whatever serves the socket.

    The web framework calls :meth:`open` once, :meth:`handle_message` for each
    inbound frame (awaiting each before reading the next), and
    :meth:`abort` then :meth:`shutdown` when the socket has closed.
    Subclasses implement the message vocabulary.
    """

    #: The ``Sec-WebSocket-Protocol`` name this class speaks.
    subprotocol: ClassVar[str]
    #: Close code and reason for a bug on our side.
    internal_error: ClassVar[tuple[int, str]]

    def __init__(
        self,
        transport: Transport,
        executor: Executor,
        context: ConnectionContext,
        *,
        options: ProtocolOptions | None = None,
        on_connect: ConnectHook | None = None,
    ) -> None:
        self.transport = transport
        self.executor = executor
        self.context = context
        self.options = options or ProtocolOptions()
        self.operations = OperationRegistry()
        self._on_connect = on_connect
        self._background: set[asyncio.Task[Any]] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the connection is closing or closed (nothing more is sent)."""
        return self._closed

    # -- lifecycle ------------------------------------------------------------

    def open(self) -> None:
        """Start the connection's timers; call once, when the socket opens."""

    async def handle_message(self, data: str | bytes, *, binary: bool = False) -> None:
        """Handle one inbound frame. Never raises: faults close the socket.

        ``data`` is the frame's text (``bytes`` must be UTF-8); ``binary``
        says it came in a binary frame, which neither protocol allows.
        """
        if self._closed:
            # The client may still be sending while our close frame travels.
            return
        try:
            try:
                if binary:
                    raise BadMessage("Binary frames are not supported: send JSON text")
                # Decoding and dispatch both raise BadMessage for what the
                # client got wrong; each protocol answers it its own way.
                await self._dispatch(self._decode(data))
            except BadMessage as exc:
                log.info("%s: bad message from %s: %s", self.subprotocol, self._peer(), exc.reason)
                await self._on_bad_message(exc)
        except TransportClosed:
            self.abort()
        except Exception:
            log.exception("%s: failed to handle a message", self.subprotocol)
            self.close(*self.internal_error)

    def close(self, code: int, reason: str) -> None:
        """Cancel every operation and close the socket with ``code`` and ``reason``.

        The reason is cut to fit a close frame. Closing twice does nothing.
        """
        if self._closed:
            return
        self.abort()
        self.transport.close(code, cap_close_reason(reason))

    def abort(self) -> None:
        """Cancel every operation and timer at once, without waiting for them."""
        self._closed = True
        self.operations.cancel_all()
        for task in self._background:
            task.cancel()

    async def shutdown(self) -> None:
        """:meth:`abort`, then wait until every operation and timer has ended,
        so no result stream outlives the connection."""
        self.abort()
        await self.operations.wait_all()
        current = asyncio.current_task()
        timers = [task for task in self._background if task is not current]
        if timers:
            await asyncio.wait(timers)

    # -- what subclasses provide ----------------------------------------------

    @abc.abstractmethod
    async def _dispatch(self, message: dict[str, Any]) -> None:
        """Act on one decoded message."""

    @abc.abstractmethod
    async def _on_bad_message(self, error: BadMessage) -> None:
        """Answer a message that broke the protocol."""

    @abc.abstractmethod
    def _result_prefix(self, op_id: Hashable) -> bytes:
        """What comes before an encoded execution result in its frame (closed by ``}``)."""

    def _result_frame(self, op_id: Hashable, result: bytes) -> bytes:
        """Wrap one encoded execution result."""
        return self._result_prefix(op_id) + result + b"}"

    @abc.abstractmethod
    def _complete_frame(self, op_id: Hashable) -> bytes:
        """Tell the client the operation has ended."""

    @abc.abstractmethod
    def _operation_error_frames(
        self, op_id: Hashable, errors: list[dict[str, Any]]
    ) -> Sequence[bytes]:
        """Report an :class:`OperationError` (the operation is over)."""

    @abc.abstractmethod
    def _failure_frames(self, op_id: Hashable, message: str) -> Sequence[bytes]:
        """Report an unexpected failure of the operation (it is over)."""

    # -- helpers for subclasses -----------------------------------------------

    def _decode(self, data: str | bytes) -> dict[str, Any]:
        limit = self.options.max_message_size
        if _exceeds(data, limit):
            raise BadMessage(f"Message larger than {limit} bytes")
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):
            raise BadMessage("Message is not valid JSON") from None
        if not isinstance(message, dict):
            raise BadMessage("Message must be a JSON object")
        return message

    async def _send(self, data: bytes | str | tuple[bytes, ...]) -> None:
        """Send one frame, waiting until the network has taken it.

        Raises :class:`TransportClosed` once the connection is closing. A
        frame not taken within ``send_timeout`` means the client stopped
        reading: the connection is closed (1013) and ``TransportClosed`` raised.
        """
        if self._closed:
            raise TransportClosed
        pending = self.transport.send_text(data)
        if pending is None:
            return
        timeout = self.options.send_timeout or None
        try:
            await asyncio.wait_for(pending, timeout)
        except TimeoutError:
            log.warning(
                "%s: closing a connection whose client read nothing for %s s",
                self.subprotocol,
                timeout,
            )
            self.close(TRY_AGAIN_LATER, "Client not reading")
            raise TransportClosed from None

    async def _send_quietly(self, frames: Sequence[bytes]) -> None:
        """Send final frames; a closed socket has nobody left to tell."""
        try:
            for frame in frames:
                await self._send(frame)
        except TransportClosed:
            pass

    def _peer(self) -> str:
        """Who is on the other end, for log lines."""
        context = self.context
        remote = getattr(context.request, "remote_ip", None) if context.request else None
        return f"{context.user or 'unknown user'}@{remote or '?'}"

    def _start_background(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run a connection timer that :meth:`abort` cancels."""
        task = spawn(coro, name=f"{self.subprotocol}-{name}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _keepalive(self, frame: bytes) -> None:
        """Send ``frame`` every ``keepalive_interval`` seconds until cancelled."""
        interval = self.options.keepalive_interval
        try:
            while True:
                await asyncio.sleep(interval)
                await self._send(frame)
        except TransportClosed:
            return

    async def _refused(self) -> ConnectionRefused | None:
        """Run the connect hook; return its refusal, if any."""
        if self._on_connect is None:
            return None
        try:
            await self._on_connect(self.context)
        except ConnectionRefused as exc:
            return exc
        return None

    def _at_capacity(self) -> bool:
        return len(self.operations) >= self.options.max_operations

    def _start_operation(self, op_id: Hashable, payload: dict[str, Any]) -> Operation:
        return self.operations.start(op_id, payload, self._run_operation)

    async def _run_operation(self, operation: Operation) -> None:
        """Prepare and run one operation, sending its results as they come.

        Cancellation (client stop, replacement, socket close) closes the
        result stream and sends nothing: whoever cancelled says what is due.
        """
        op_id = operation.id
        try:
            prepared = await self.executor.prepare(operation.payload, self.context)
            async with _closing(prepared.results()) as results:
                async for result in results:
                    # In parts: the transport need not copy a shared result.
                    await self._send((self._result_prefix(op_id), result, b"}"))
        except TransportClosed:
            return
        except OperationError as exc:
            log.info(
                "%s: operation %r from %s refused: %s", self.subprotocol, op_id, self._peer(), exc
            )
            if self.operations.discard(operation):
                await self._send_quietly(self._operation_error_frames(op_id, exc.errors))
            return
        except Exception as exc:
            log.exception("%s: operation %r failed", self.subprotocol, op_id)
            if self.operations.discard(operation):
                message = str(exc) or type(exc).__name__
                await self._send_quietly(self._failure_frames(op_id, message))
            return
        # Free the id before saying so, so the client may reuse it at once.
        if self.operations.discard(operation):
            await self._send_quietly([self._complete_frame(op_id)])


def _exceeds(data: str | bytes, limit: int) -> bool:
    """Whether ``data`` is over ``limit`` bytes as UTF-8, encoding only if in doubt."""
    if len(data) > limit:
        return True
    if isinstance(data, bytes) or len(data) * 4 <= limit:
        return False
    return len(data.encode("utf-8", "surrogatepass")) > limit


@asynccontextmanager
async def _closing(results: AsyncIterator[bytes]) -> AsyncIterator[AsyncIterator[bytes]]:
    """Close ``results`` on the way out, if it can be closed."""
    try:
        yield results
    finally:
        aclose = getattr(results, "aclose", None)
        if aclose is not None:
            await aclose()
