"""Tornado's websocket bridged to the framework-free protocol handlers."""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

from tornado.iostream import IOStream, StreamClosedError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .base import ProtocolHandler
from .connection import TransportClosed
from .graphql_transport_ws import CloseCode, GraphQLTransportWSHandler
from .graphql_ws import GraphQLWSHandler
from .operations import ConnectionContext
from .registry import spawn

if TYPE_CHECKING:
    from .operations import ConnectHook, Executor
    from .options import ProtocolOptions

__all__ = ["PROTOCOLS", "GraphQLWebSocketHandler", "TornadoTransport", "select_protocol"]

log = logging.getLogger("uiserver.transport")

#: Frames at least this long are written part by part (``_write_parts``), so
#: every connection's buffer shares one copy of a shared result (50 clients of
#: a 6 MB first frame held 50 copies); shorter ones are joined, one write.
WRITE_APART_MIN = 64 * 1024

#: The protocols we speak, most preferred first.
PROTOCOLS: dict[str, type[ProtocolHandler]] = {
    GraphQLTransportWSHandler.subprotocol: GraphQLTransportWSHandler,
    GraphQLWSHandler.subprotocol: GraphQLWSHandler,
}


def select_protocol(offered: Sequence[str]) -> str | None:
    """Pick ``graphql-transport-ws`` if offered, else ``graphql-ws``, else nothing."""
    wanted = {name.strip() for name in offered}
    return next((name for name in PROTOCOLS if name in wanted), None)


class TornadoTransport:
    """A :class:`~.connection.Transport` over a tornado ``WebSocketHandler``.

    Text frames are written straight to the connection's stream, unmasked as
    a server's are. The small frames sent during one turn of the event loop
    go out in one write at its end, so a burst of sidebar updates costs one
    system call and one wake-up of the client rather than one per frame.
    Frames of at least ``WRITE_APART_MIN`` bytes are written part by part
    (see :meth:`_write`), after whatever small frames came before them.
    """

    __slots__ = ("_handler", "_corked", "writes")

    def __init__(self, handler: WebSocketHandler) -> None:
        self._handler = handler
        #: Small frames of this loop turn waiting to be written, or None.
        self._corked: list[bytes] | None = None
        #: Writes handed to the stream (for tests and metrics).
        self.writes = 0

    def send_text(self, data: bytes | str | tuple[bytes, ...]) -> Awaitable[None] | None:
        """Send one text frame; None if there is nothing to wait for.

        A small frame to a client that keeps up joins this loop turn's write.
        Otherwise the frame is written at once, and if the kernel did not
        take it all the returned awaitable resolves once tornado's buffer has
        drained: a client that stops reading stalls it (the protocol's
        ``send_timeout`` then gives up on it). Raises :class:`TransportClosed`
        if the socket is closing. A tuple of parts is one frame; parts of at
        least ``WRITE_APART_MIN`` bytes in all are never joined.
        """
        connection = self._handler.ws_connection
        if connection is None or connection.is_closing():
            raise TransportClosed
        if isinstance(data, str):
            data = data.encode("utf-8")
        parts = data if isinstance(data, tuple) else (data,)
        length = sum(map(len, parts))
        stream = connection.stream
        if length < WRITE_APART_MIN and not stream.writing():
            corked = self._corked
            if corked is None:
                corked = self._corked = []
                asyncio.get_running_loop().call_soon(self._uncork)
            corked.append(_frame_header(length))
            corked.extend(parts)
            return None
        self._uncork()
        return self._write(stream, parts, length)

    def _uncork(self) -> None:
        """Write this loop turn's small frames, in one write."""
        corked, self._corked = self._corked, None
        if not corked:
            return
        connection = self._handler.ws_connection
        if connection is None or connection.is_closing():
            return  # the client is gone, or our close frame went first
        try:
            written = connection.stream.write(b"".join(corked))
        except StreamClosedError:
            return
        self.writes += 1
        written.add_done_callback(_retrieve)

    def _write(
        self, stream: IOStream, parts: tuple[bytes, ...], length: int
    ) -> Awaitable[None] | None:
        """Write one frame now: joined if small, else its header, then each part as it is.

        Joining a large shared result would copy it behind the frame header,
        and the copy would wait in this connection's buffer until the client
        has read it. Tornado's stream buffer keeps a large part by reference
        instead, so every connection sending the same shared result holds the
        one object. A frame without RSV1 is a valid uncompressed message even
        where permessage-deflate was negotiated.
        """
        header = _frame_header(length)
        try:
            if length < WRITE_APART_MIN:
                written = stream.write(b"".join((header, *parts)))
                self.writes += 1
            else:
                written = stream.write(header + parts[0])
                for part in parts[1:]:
                    written = stream.write(part)
                self.writes += len(parts)
        except StreamClosedError:
            raise TransportClosed from None
        written.add_done_callback(_retrieve)
        if not stream.writing():
            return None
        return _drained(written)

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake (after any frames still corked); tornado
        aborts the socket if the peer does not answer within its own 5 s."""
        self._uncork()
        self._handler.close(code, reason)


def _frame_header(length: int) -> bytes:
    """The header of an unmasked, final text frame of ``length`` bytes (RFC 6455 §5.2)."""
    if length < 126:
        return struct.pack("!BB", 0x81, length)
    if length <= 0xFFFF:
        return struct.pack("!BBH", 0x81, 126, length)
    return struct.pack("!BBQ", 0x81, 127, length)


async def _drained(written: Awaitable[None]) -> None:
    """Wait for tornado's write future without being able to cancel it."""
    try:
        # Shielded: cancelling tornado's write future (on send_timeout)
        # would make tornado log an error; the frame stays queued anyway.
        await asyncio.shield(written)
    except (WebSocketClosedError, StreamClosedError):
        raise TransportClosed from None


def _retrieve(future: asyncio.Future[None]) -> None:
    # A write that fails after its sender gave up has nobody to tell.
    if not future.cancelled():
        future.exception()


class GraphQLWebSocketHandler(WebSocketHandler):
    """Serves GraphQL over a websocket with whichever protocol the client offers.

    Collaborators come from the application settings: ``cylc_executor`` (an
    :class:`~.operations.Executor`, required), ``cylc_ws_options`` (a
    :class:`~.options.ProtocolOptions`) and ``cylc_ws_on_connect`` (a
    :data:`~.operations.ConnectHook`). Authentication is the subclass's job;
    this class only speaks the protocols. :attr:`finished` resolves once the
    socket has closed and every operation has ended.
    """

    protocol: ProtocolHandler | None = None

    def initialize(self, **kwargs: Any) -> None:
        super().initialize(**kwargs)
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._shutdown: asyncio.Task[None] | None = None

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        """Choose the protocol; ``None`` makes :meth:`open` refuse with 4406."""
        return select_protocol(subprotocols)

    def connection_context(self) -> ConnectionContext:
        """What the executor learns about this connection; subclasses add the user."""
        return ConnectionContext(user=None, request=self.request)

    def open(self, *args: Any, **kwargs: Any) -> None:
        """Start the selected protocol, or close 4406 if the client offered none we speak."""
        protocol_class = PROTOCOLS.get(self.selected_subprotocol or "")
        if protocol_class is None:
            # Browsers fail the handshake themselves when we select nothing;
            # other clients get told why (graphql-ws's rule).
            self.close(CloseCode.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        executor: Executor = self.settings["cylc_executor"]
        options: ProtocolOptions | None = self.settings.get("cylc_ws_options")
        on_connect: ConnectHook | None = self.settings.get("cylc_ws_on_connect")
        self.protocol = protocol_class(
            TornadoTransport(self),
            executor,
            self.connection_context(),
            options=options,
            on_connect=on_connect,
        )
        self.protocol.open()

    async def on_message(self, message: str | bytes) -> None:
        # Awaited by tornado before it reads the next frame, so one client's
        # messages are handled in order and a flood waits for us.
        if self.protocol is not None:
            # Tornado hands text frames over as str and binary ones as bytes.
            await self.protocol.handle_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:
        """Cancel every operation now and reap them in the background."""
        if self._shutdown is not None:
            return
        protocol = self.protocol
        if protocol is None:
            self.finished.set_result(None)
            return
        protocol.abort()
        self._shutdown = spawn(protocol.shutdown(), name="graphql-ws-shutdown")
        self._shutdown.add_done_callback(self._finish)

    def _finish(self, task: asyncio.Task[None]) -> None:
        if not self.finished.done():
            self.finished.set_result(None)
