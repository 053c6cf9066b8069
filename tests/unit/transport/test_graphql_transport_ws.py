"""The ``graphql-transport-ws`` protocol over a real tornado socket (web-api §4.2)."""

from __future__ import annotations

import asyncio

import pytest

from uiserver.transport.operations import ConnectionRefused

from .conftest import BAD_QUERY_ERRORS, TIMEOUT, closed, nothing_more, recv, send

pytestmark = pytest.mark.timeout(30)

PROTOCOL = "graphql-transport-ws"
SUB = {"query": "subscription { deltas { id } }"}
PING = {"type": "ping"}
PONG = {"type": "pong"}


async def acked(ws_server, payload=None):
    conn = await ws_server.connect(PROTOCOL)
    assert conn.selected_subprotocol == PROTOCOL
    await send(conn, {"type": "connection_init", "payload": payload})
    assert await recv(conn) == {"type": "connection_ack"}
    return conn


async def test_init_ack_and_ping_pong(ws_server):
    conn = await acked(ws_server, {"token": "t"})
    assert ws_server.executor.contexts == []
    await send(conn, PING)
    assert await recv(conn) == PONG
    await send(conn, {"type": "ping", "payload": {"t": 1}})
    assert await recv(conn) == {"type": "pong", "payload": {"t": 1}}
    # An unsolicited pong is fine and answered with nothing.
    await send(conn, PONG)
    await nothing_more(conn, PING, PONG)


async def test_ping_is_answered_before_the_ack_too(ws_server):
    conn = await ws_server.connect(PROTOCOL)
    await send(conn, PING)
    assert await recv(conn) == PONG


async def test_server_pings_after_the_ack(ws_server):
    ws_server.set_options(keepalive_interval=0.2)
    conn = await ws_server.connect(PROTOCOL)
    await send(conn, {"type": "connection_init"})
    assert await recv(conn) == {"type": "connection_ack"}
    assert await recv(conn, timeout=1) == PING
    assert await recv(conn, timeout=1) == PING


async def test_init_timeout_closes_4408(ws_server):
    ws_server.set_options(keepalive_interval=0, init_timeout=0.2)
    conn = await ws_server.connect(PROTOCOL)
    assert await closed(conn) == (4408, "Connection initialisation timeout")


async def test_init_in_time_stops_the_timer(ws_server):
    ws_server.set_options(keepalive_interval=0, init_timeout=0.3)
    conn = await acked(ws_server)
    await asyncio.sleep(0.5)  # past the timeout: the connection must still be open
    await nothing_more(conn, PING, PONG)


async def test_second_init_closes_4429(ws_server):
    conn = await acked(ws_server)
    await send(conn, {"type": "connection_init"})
    assert await closed(conn) == (4429, "Too many initialisation requests")


async def test_subscribe_before_ack_closes_4401(ws_server):
    conn = await ws_server.connect(PROTOCOL)
    await send(conn, {"type": "subscribe", "id": "1", "payload": SUB})
    assert await closed(conn) == (4401, "Unauthorized")
    assert ws_server.executor.payloads == []


async def test_duplicate_id_closes_4409(ws_server):
    conn = await acked(ws_server)
    await send(conn, {"id": "a", "type": "subscribe", "payload": SUB})
    feed = await ws_server.executor.next_feed()
    await send(conn, {"id": "a", "type": "subscribe", "payload": SUB})
    assert await closed(conn) == (4409, "Subscriber for a already exists")
    await asyncio.wait_for(feed.closed.wait(), TIMEOUT)


async def test_query_gives_next_then_complete_and_the_id_is_reusable(ws_server):
    conn = await acked(ws_server)
    for _ in range(2):
        await send(conn, {"id": "q", "type": "subscribe", "payload": {"query": "query { x }"}})
        assert await recv(conn) == {"id": "q", "type": "next", "payload": {"data": {"x": 1}}}
        assert await recv(conn) == {"id": "q", "type": "complete"}


async def test_subscription_streams_until_the_client_completes_it(ws_server):
    conn = await acked(ws_server)
    await send(conn, {"id": "s", "type": "subscribe", "payload": SUB})
    feed = await ws_server.executor.next_feed()
    feed.push(b'{"data":{"n":1}}')
    assert await recv(conn) == {"id": "s", "type": "next", "payload": {"data": {"n": 1}}}
    await send(conn, {"id": "s", "type": "complete"})
    await asyncio.wait_for(feed.closed.wait(), TIMEOUT)
    feed.push(b'{"data":{"n":2}}')
    # Nothing more for that id: no next, no complete.
    await nothing_more(conn, PING, PONG)
    # Completing an unknown id is ignored.
    await send(conn, {"id": "zzz", "type": "complete"})
    await nothing_more(conn, PING, PONG)


async def test_subscription_end_sends_complete(ws_server):
    conn = await acked(ws_server)
    await send(conn, {"id": "s", "type": "subscribe", "payload": SUB})
    feed = await ws_server.executor.next_feed()
    feed.push(None)
    assert await recv(conn) == {"id": "s", "type": "complete"}


async def test_operation_error_is_an_array_and_no_complete_follows(ws_server):
    conn = await acked(ws_server)
    await send(conn, {"id": "e", "type": "subscribe", "payload": {"query": "query { bad }"}})
    assert await recv(conn) == {"id": "e", "type": "error", "payload": BAD_QUERY_ERRORS}
    await nothing_more(conn, PING, PONG)


async def test_failures_send_error_and_keep_the_socket(ws_server):
    conn = await acked(ws_server)
    await send(conn, {"id": "c", "type": "subscribe", "payload": {"query": "query { crash }"}})
    assert await recv(conn) == {"id": "c", "type": "error", "payload": [{"message": "executor bug"}]}
    await send(conn, {"id": "s", "type": "subscribe", "payload": SUB})
    feed = await ws_server.executor.next_feed()
    feed.push(RuntimeError("lost it"))
    assert await recv(conn) == {"id": "s", "type": "error", "payload": [{"message": "lost it"}]}
    await nothing_more(conn, PING, PONG)


async def test_operation_limit_sends_error(ws_server):
    ws_server.set_options(keepalive_interval=0, max_operations=1)
    conn = await acked(ws_server)
    await send(conn, {"id": "1", "type": "subscribe", "payload": SUB})
    await ws_server.executor.next_feed()
    await send(conn, {"id": "2", "type": "subscribe", "payload": SUB})
    assert await recv(conn) == {
        "id": "2",
        "type": "error",
        "payload": [{"message": "Too many operations (at most 1)"}],
    }


@pytest.mark.parametrize(
    "frame, reason",
    [
        ("{not json", "Message is not valid JSON"),
        ("[]", "Message must be a JSON object"),
        ("null", "Message must be a JSON object"),
        ('{"type": "hello"}', "Unexpected message type: 'hello'"),
        ('{"type": 3}', "Message requires a string 'type'"),
        ("{}", "Message requires a string 'type'"),
        ('{"type": "subscribe", "payload": {"query": "query { x }"}}',
         "Message 'subscribe' requires a non-empty string 'id'"),
        ('{"type": "subscribe", "id": "", "payload": {"query": "query { x }"}}',
         "Message 'subscribe' requires a non-empty string 'id'"),
        ('{"type": "subscribe", "id": "1", "payload": {}}',
         "Message 'subscribe' requires a 'payload' object with a 'query' string"),
        ('{"type": "complete"}', "Message 'complete' requires a non-empty string 'id'"),
        ('{"type": "ping", "payload": [1]}', "Message 'ping' payload must be an object or null"),
        ('{"type": "connection_init", "payload": "x"}',
         "Message 'connection_init' payload must be an object or null"),
    ],
)  # fmt: skip
async def test_bad_messages_close_4400(ws_server, frame, reason):
    conn = await ws_server.connect(PROTOCOL)
    if "connection_init" not in frame:
        await send(conn, {"type": "connection_init"})
        assert await recv(conn) == {"type": "connection_ack"}
    await send(conn, frame)
    assert await closed(conn) == (4400, reason)


async def test_oversized_message_closes_4400(ws_server):
    ws_server.set_options(keepalive_interval=0, max_message_size=512)
    conn = await acked(ws_server)
    await send(conn, {"id": "1", "type": "subscribe", "payload": {"query": "q" * 600}})
    assert await closed(conn) == (4400, "Message larger than 512 bytes")


async def test_refused_connection_closes_4403(ws_server):
    async def refuse(context):
        raise ConnectionRefused("go away")

    ws_server.app.settings["cylc_ws_on_connect"] = refuse
    conn = await ws_server.connect(PROTOCOL)
    await send(conn, {"type": "connection_init"})
    assert await closed(conn) == (4403, "Forbidden")


async def test_close_cancels_everything(ws_server):
    ws_server.set_options(keepalive_interval=0.1)
    conn = await acked(ws_server)
    for op_id in "abc":
        await send(conn, {"id": op_id, "type": "subscribe", "payload": SUB})
    feeds = [await ws_server.executor.next_feed() for _ in range(3)]
    conn.close(1000)
    await ws_server.all_finished()
    assert all(feed.closed.is_set() for feed in feeds)
    protocol = ws_server.connections[0].protocol
    assert protocol is not None and protocol.closed and len(protocol.operations) == 0
    # The keep-alive timer is gone too.
    assert not protocol._background
