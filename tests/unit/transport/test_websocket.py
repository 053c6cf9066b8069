"""Tornado's side: subprotocol choice, back-pressure and the stuck-client timeout."""

from __future__ import annotations

import asyncio

import pytest

from uiserver.transport.connection import TRY_AGAIN_LATER, cap_close_reason
from uiserver.transport.websocket import select_protocol

from .conftest import TIMEOUT, RawClient, closed, recv, send

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    "offered, chosen",
    [
        (["graphql-transport-ws", "graphql-ws"], "graphql-transport-ws"),
        (["graphql-ws", "graphql-transport-ws"], "graphql-transport-ws"),
        (["graphql-ws"], "graphql-ws"),
        (["foo", "graphql-ws"], "graphql-ws"),
        (["foo"], None),
        ([], None),
    ],
)
def test_select_protocol(offered, chosen):
    assert select_protocol(offered) == chosen


@pytest.mark.parametrize(
    "offered, chosen",
    [(["graphql-ws", "graphql-transport-ws"], "graphql-transport-ws"), (["graphql-ws"], "graphql-ws")],
)
async def test_the_handshake_names_the_protocol(ws_server, offered, chosen):
    conn = await ws_server.connect(*offered)
    assert conn.selected_subprotocol == chosen
    assert conn.headers["Sec-WebSocket-Protocol"] == chosen


@pytest.mark.parametrize("offered", [["foo"], []])
async def test_other_subprotocols_are_refused_with_4406(ws_server, offered):
    conn = await ws_server.connect(*offered)
    assert conn.selected_subprotocol is None
    assert await closed(conn) == (4406, "Subprotocol not acceptable")
    await ws_server.all_finished()


def test_close_reasons_fit_a_close_frame():
    assert cap_close_reason("short") == "short"
    long = "é" * 100  # 200 bytes
    capped = cap_close_reason(long)
    assert len(capped.encode()) <= 123 and long.startswith(capped) and len(capped) == 61


async def test_a_client_that_stops_reading_is_closed_1013(ws_server):
    ws_server.set_options(keepalive_interval=0, send_timeout=0.5)
    client = await RawClient.connect(ws_server.port, "graphql-transport-ws")
    try:
        await client.send({"type": "connection_init"})
        await client.send({"id": "1", "type": "subscribe", "payload": {"query": "subscription flood"}})
        feed = await ws_server.executor.next_feed()
        # Megabyte frames fill the socket buffers; the send then stalls, and
        # after send_timeout the server gives up on the client.
        await asyncio.wait_for(feed.closed.wait(), TIMEOUT * 3)
        handler = ws_server.connections[0]
        assert handler.protocol is not None and handler.protocol.closed
        assert handler.sent_close == (TRY_AGAIN_LATER, "Client not reading")
    finally:
        client.close()
    await ws_server.all_finished()


async def test_a_reading_client_is_never_timed_out(ws_server):
    ws_server.set_options(keepalive_interval=0, send_timeout=0.5)
    conn = await ws_server.connect("graphql-transport-ws")
    await send(conn, {"type": "connection_init"})
    assert await recv(conn) == {"type": "connection_ack"}
    await send(conn, {"id": "1", "type": "subscribe", "payload": {"query": "subscription flood"}})
    feed = await ws_server.executor.next_feed()
    # Reading keeps up, so frames keep coming for longer than send_timeout.
    loop = asyncio.get_running_loop()
    until = loop.time() + 1.0
    count = 0
    while loop.time() < until:
        message = await recv(conn)
        assert message["type"] == "next"
        count += 1
    assert count > 1 and not feed.closed.is_set()
    await send(conn, {"id": "1", "type": "complete"})
    await asyncio.wait_for(feed.closed.wait(), TIMEOUT)


async def test_binary_frames_are_refused(ws_server):
    modern = await ws_server.connect("graphql-transport-ws")
    await asyncio.wait_for(modern.write_message(b'{"type":"connection_init"}', binary=True), TIMEOUT)
    assert await closed(modern) == (4400, "Binary frames are not supported: send JSON text")
    legacy = await ws_server.connect("graphql-ws")
    await asyncio.wait_for(legacy.write_message(b'{"type":"connection_init"}', binary=True), TIMEOUT)
    assert await recv(legacy) == {
        "type": "error",
        "payload": {"message": "Binary frames are not supported: send JSON text"},
    }
    # Still open, and text works.
    await send(legacy, {"type": "connection_init"})
    assert await recv(legacy) == {"type": "connection_ack"}
