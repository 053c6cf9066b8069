"""A real tornado server speaking both GraphQL websocket protocols to a test executor."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from tornado.web import Application
from tornado.websocket import WebSocketClientConnection, websocket_connect

from uiserver.transport.operations import ConnectionContext
from uiserver.transport.options import ProtocolOptions
from uiserver.transport.websocket import GraphQLWebSocketHandler

from .stubs import BAD_QUERY_ERRORS, TIMEOUT, StubExecutor

__all__ = ["BAD_QUERY_ERRORS", "TIMEOUT", "closed", "nothing_more", "recv", "send"]


class RecordingHandler(GraphQLWebSocketHandler):
    """Keeps every connection so tests can wait for its shutdown."""

    def open(self, *args: Any, **kwargs: Any) -> None:
        self.settings["test_connections"].append(self)
        super().open(*args, **kwargs)

    def connection_context(self) -> ConnectionContext:
        return ConnectionContext(user="tester", request=self.request)

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        # What the server sent (tornado's close_code is the peer's).
        self.sent_close = (code, reason)
        super().close(code, reason)


@dataclass
class WSServer:
    port: int
    app: Application
    executor: StubExecutor
    clients: list[WebSocketClientConnection] = field(default_factory=list)

    @property
    def connections(self) -> list[RecordingHandler]:
        return self.app.settings["test_connections"]

    def set_options(self, **options: Any) -> None:
        self.app.settings["cylc_ws_options"] = ProtocolOptions(**options)

    async def connect(self, *protocols: str) -> WebSocketClientConnection:
        conn = await asyncio.wait_for(
            websocket_connect(
                f"ws://127.0.0.1:{self.port}/subscriptions", subprotocols=list(protocols)
            ),
            TIMEOUT,
        )
        self.clients.append(conn)
        return conn

    async def all_finished(self) -> None:
        """Wait until every server-side connection has closed and shut down."""
        await asyncio.wait_for(
            asyncio.gather(*(handler.finished for handler in self.connections)), TIMEOUT * 3
        )


@pytest.fixture
async def ws_server():
    sock, port = bind_unused_port("127.0.0.1")
    executor = StubExecutor()
    app = Application(
        [(r"/subscriptions", RecordingHandler)],
        cylc_executor=executor,
        cylc_ws_options=ProtocolOptions(keepalive_interval=0, init_timeout=5),
        test_connections=[],
    )
    server = HTTPServer(app)
    server.add_sockets([sock])
    ws = WSServer(port, app, executor)
    yield ws
    for client in ws.clients:
        client.close()
    server.stop()
    # Nothing may outlive the test: every connection shuts down completely.
    await ws.all_finished()
    await asyncio.wait_for(server.close_all_connections(), TIMEOUT)


async def send(conn: WebSocketClientConnection, message: dict[str, Any] | str) -> None:
    text = message if isinstance(message, str) else json.dumps(message)
    await asyncio.wait_for(conn.write_message(text), TIMEOUT)


async def recv(conn: WebSocketClientConnection, timeout: float = TIMEOUT) -> Any:
    """The next message, decoded; fails if none comes or the socket closes."""
    text = await asyncio.wait_for(conn.read_message(), timeout)
    assert text is not None, f"socket closed: {conn.close_code} {conn.close_reason!r}"
    return json.loads(text)


async def closed(conn: WebSocketClientConnection) -> tuple[int | None, str | None]:
    """Read until the server closes; returns its close code and reason."""
    while True:
        text = await asyncio.wait_for(conn.read_message(), TIMEOUT)
        if text is None:
            return conn.close_code, conn.close_reason


async def nothing_more(conn: WebSocketClientConnection, probe: dict[str, Any], answer: Any) -> None:
    """Assert the next message is ``answer`` to ``probe``: nothing was queued before it."""
    await send(conn, probe)
    assert await recv(conn) == answer


class RawClient:
    """A websocket client that never reads, on a socket with tiny buffers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, protocol: str) -> RawClient:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Before connect, so the kernel never grows the window.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.wait_for(
            asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), TIMEOUT
        )
        # A tiny stream limit: asyncio stops reading the socket almost at once.
        reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
        writer.write(
            (
                "GET /subscriptions HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def send(self, message: dict[str, Any]) -> None:
        payload = json.dumps(message).encode()
        assert len(payload) < 126
        mask = b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        await asyncio.wait_for(self.writer.drain(), TIMEOUT)

    def close(self) -> None:
        self.writer.transport.abort()
