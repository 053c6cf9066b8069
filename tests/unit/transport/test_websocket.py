"""Tornado's side: subprotocol choice, back-pressure and the stuck-client timeout."""

from __future__ import annotations

import asyncio

import pytest

from uiserver.transport.connection import TRY_AGAIN_LATER, TransportClosed, cap_close_reason
from uiserver.transport.websocket import TornadoTransport, select_protocol

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


@pytest.mark.parametrize("length", [2, 125, 126, 65_535, 65_536, 300_000])
async def test_a_frame_sent_in_parts_arrives_whole(ws_server, length):
    """Every header length form (7-bit, 16-bit, 64-bit) of a frame written at once,
    and the same frame through send_text (corked below WRITE_APART_MIN)."""
    conn = await ws_server.connect("graphql-transport-ws")
    await send(conn, {"type": "connection_init"})
    assert await recv(conn) == {"type": "connection_ack"}
    handler = ws_server.connections[0]
    transport = TornadoTransport(handler)
    body = b"x" * (length - 2)

    def write_now(parts: tuple[bytes, ...]):
        return transport._write(handler.ws_connection.stream, parts, sum(map(len, parts)))

    for send_parts in (write_now, transport.send_text):
        pending = send_parts((b'"', body, b'"'))
        if pending is not None:
            await asyncio.wait_for(pending, TIMEOUT)
        assert await recv(conn) == body.decode()
    # The connection goes on framing normally afterwards.
    await send(conn, {"type": "ping"})
    assert await recv(conn) == {"type": "pong"}


async def test_a_large_result_is_shared_not_copied_per_connection(ws_server):
    """Connections whose clients have not read it all hold the one result object."""
    clients = [await RawClient.connect(ws_server.port, "graphql-transport-ws") for _ in range(3)]
    try:
        for client in clients:
            await client.send({"type": "connection_init"})
        while len(ws_server.connections) < 3:
            await asyncio.sleep(0.01)
        result = b'{"data":"' + b"y" * (8 << 20) + b'"}'
        for handler in ws_server.connections:
            pending = TornadoTransport(handler).send_text((b'{"id":"1","payload":', result, b"}"))
            assert pending is not None  # the client is not reading
            pending.close()  # nobody waits for it here
        for handler in ws_server.connections:
            buffers = handler.ws_connection.stream._write_buffer._buffers
            assert any(is_view and view.obj is result for is_view, view in buffers)
    finally:
        for client in clients:
            client.close()
    await ws_server.all_finished()


async def test_send_text_on_a_closed_connection_raises(ws_server):
    conn = await ws_server.connect("graphql-transport-ws")
    await send(conn, {"type": "connection_init"})
    assert await recv(conn) == {"type": "connection_ack"}
    handler = ws_server.connections[0]
    conn.close()
    await asyncio.wait_for(handler.finished, TIMEOUT)
    with pytest.raises(TransportClosed):
        TornadoTransport(handler).send_text((b"[", b"1" * 70_000, b"]"))


async def test_small_frames_of_one_loop_turn_go_out_in_one_write(ws_server):
    conn = await ws_server.connect("graphql-transport-ws")
    await send(conn, {"type": "connection_init"})
    assert await recv(conn) == {"type": "connection_ack"}
    transport = TornadoTransport(ws_server.connections[0])
    for n in range(5):
        assert transport.send_text(b'{"n":%d}' % n) is None
    assert transport.writes == 0  # not yet: at the end of this loop turn
    assert [await recv(conn) for _ in range(5)] == [{"n": n} for n in range(5)]
    assert transport.writes == 1


async def test_a_large_frame_goes_after_the_small_frames_before_it(ws_server):
    conn = await ws_server.connect("graphql-transport-ws")
    await send(conn, {"type": "connection_init"})
    assert await recv(conn) == {"type": "connection_ack"}
    transport = TornadoTransport(ws_server.connections[0])
    big = b"z" * 100_000
    transport.send_text(b'"first"')
    pending = transport.send_text((b'"', big, b'"'))
    transport.send_text(b'"last"')
    if pending is not None:
        await asyncio.wait_for(pending, TIMEOUT)
    assert [await recv(conn) for _ in range(3)] == ["first", big.decode(), "last"]


async def test_frames_corked_before_a_close_arrive_before_it(ws_server):
    conn = await ws_server.connect("graphql-transport-ws")
    await send(conn, {"type": "connection_init"})
    assert await recv(conn) == {"type": "connection_ack"}
    transport = TornadoTransport(ws_server.connections[0])
    transport.send_text(b'"bye"')
    transport.close(4400, "done")
    assert await recv(conn) == "bye"
    assert await closed(conn) == (4400, "done")
    with pytest.raises(TransportClosed):
        transport.send_text(b'"too late"')
