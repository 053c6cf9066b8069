"""The legacy ``graphql-ws`` protocol over a real tornado socket (web-api §4.1, §4.3)."""

from __future__ import annotations

import asyncio

import pytest

from uiserver.transport.operations import ConnectionRefused

from .conftest import BAD_QUERY_ERRORS, TIMEOUT, closed, recv, send

pytestmark = pytest.mark.timeout(30)

PROTOCOL = "graphql-ws"
SUB = {"query": "subscription { deltas { id } }", "variables": {}, "operationName": None}


async def connected(ws_server):
    conn = await ws_server.connect(PROTOCOL)
    assert conn.selected_subprotocol == PROTOCOL
    await send(conn, {"type": "connection_init", "payload": {}})
    assert await recv(conn) == {"type": "connection_ack"}
    return conn


async def test_ack_is_immediate_and_keepalives_follow(ws_server):
    ws_server.set_options(keepalive_interval=0.2)
    conn = await ws_server.connect(PROTOCOL)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await send(conn, {"type": "connection_init", "payload": {}})
    assert await recv(conn) == {"type": "connection_ack"}
    # The client arms its keep-alive timer on the first ka, so it comes at once.
    assert await recv(conn) == {"type": "ka"}
    assert loop.time() - started < 0.15
    assert await recv(conn, timeout=1) == {"type": "ka"}
    assert await recv(conn, timeout=1) == {"type": "ka"}


async def test_query_gives_data_then_complete(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "1", "payload": {"query": "query { x }"}})
    assert await recv(conn) == {"type": "data", "id": "1", "payload": {"data": {"x": 1}}}
    assert await recv(conn) == {"type": "complete", "id": "1"}
    context = ws_server.executor.contexts[0]
    assert context.user == "tester" and context.connection_params == {}


async def test_start_is_accepted_before_the_ack(ws_server):
    conn = await ws_server.connect(PROTOCOL)
    # What subscriptions-transport-ws does: init and its queued starts in one go.
    await send(conn, {"type": "connection_init", "payload": {"a": 1}})
    await send(conn, {"type": "start", "id": "1", "payload": SUB})
    assert await recv(conn) == {"type": "connection_ack"}
    feed = await ws_server.executor.next_feed()
    feed.push(b'{"data":{"deltas":{"id":"w"}}}')
    assert await recv(conn) == {
        "type": "data",
        "id": "1",
        "payload": {"data": {"deltas": {"id": "w"}}},
    }
    assert ws_server.executor.contexts[0].connection_params == {"a": 1}

    # A start even before connection_init is served too.
    conn2 = await ws_server.connect(PROTOCOL)
    await send(conn2, {"type": "start", "id": "1", "payload": {"query": "query { x }"}})
    assert await recv(conn2) == {"type": "data", "id": "1", "payload": {"data": {"x": 1}}}
    assert await recv(conn2) == {"type": "complete", "id": "1"}


async def test_subscription_frames_and_stop_cancels_at_once(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "1", "payload": SUB})
    feed = await ws_server.executor.next_feed()
    for n in range(3):
        feed.push(b'{"data":{"n":%d}}' % n)
        assert await recv(conn) == {"type": "data", "id": "1", "payload": {"data": {"n": n}}}
    await send(conn, {"type": "stop", "id": "1"})
    assert await recv(conn) == {"type": "complete", "id": "1"}
    # The generator's finally has run: nothing waits for its next event.
    await asyncio.wait_for(feed.closed.wait(), TIMEOUT)
    feed.push(b'{"data":{"n":99}}')
    # Stopping an unknown id is harmless and answered with nothing.
    await send(conn, {"type": "stop", "id": "1"})
    await send(conn, {"type": "start", "id": "2", "payload": {"query": "query { x }"}})
    assert await recv(conn) == {"type": "data", "id": "2", "payload": {"data": {"x": 1}}}


async def test_start_with_a_live_id_replaces_the_operation(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "1", "payload": SUB})
    first = await ws_server.executor.next_feed()
    await send(conn, {"type": "start", "id": "1", "payload": SUB})
    second = await ws_server.executor.next_feed()
    await asyncio.wait_for(first.closed.wait(), TIMEOUT)
    assert not second.closed.is_set()
    first.push(b'{"data":{"from":"first"}}')
    second.push(b'{"data":{"from":"second"}}')
    # No complete for the replaced one: the id belongs to the new operation.
    assert await recv(conn) == {
        "type": "data",
        "id": "1",
        "payload": {"data": {"from": "second"}},
    }


async def test_subscription_that_ends_completes(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "1", "payload": SUB})
    feed = await ws_server.executor.next_feed()
    feed.push(None)
    assert await recv(conn) == {"type": "complete", "id": "1"}


async def test_operation_errors_come_as_data_then_complete(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "1", "payload": {"query": "query { bad }"}})
    assert await recv(conn) == {
        "type": "data",
        "id": "1",
        "payload": {"data": None, "errors": BAD_QUERY_ERRORS},
    }
    assert await recv(conn) == {"type": "complete", "id": "1"}


async def test_a_failing_subscription_sends_error_then_complete(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "1", "payload": SUB})
    feed = await ws_server.executor.next_feed()
    feed.push(b'{"data":{"n":1}}')
    feed.push(RuntimeError("workflow vanished"))
    assert (await recv(conn))["type"] == "data"
    assert await recv(conn) == {
        "type": "error",
        "id": "1",
        "payload": {"message": "workflow vanished"},
    }
    assert await recv(conn) == {"type": "complete", "id": "1"}
    # The socket survives.
    await send(conn, {"type": "start", "id": "1", "payload": {"query": "query { x }"}})
    assert (await recv(conn))["type"] == "data"


async def test_unknown_type_gets_an_error(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "subscribe", "id": "7"})
    assert await recv(conn) == {
        "type": "error",
        "id": "7",
        "payload": {"message": "Invalid message type: subscribe."},
    }
    await send(conn, {"id": "8"})
    assert await recv(conn) == {
        "type": "error",
        "id": "8",
        "payload": {"message": "Invalid message type: None."},
    }


@pytest.mark.parametrize(
    "frame, reason",
    [
        ("{not json", "Message is not valid JSON"),
        ("[1, 2]", "Message must be a JSON object"),
        ('"start"', "Message must be a JSON object"),
        ('{"type": "start", "payload": {"query": "query { x }"}}',
         "Message 'start' requires an 'id' (a string)"),
        ('{"type": "start", "id": true, "payload": {"query": "query { x }"}}',
         "Message 'start' requires an 'id' (a string)"),
        ('{"type": "stop"}', "Message 'stop' requires an 'id' (a string)"),
    ],
)  # fmt: skip
async def test_malformed_messages_get_an_error_and_the_socket_stays(ws_server, frame, reason):
    conn = await connected(ws_server)
    await send(conn, frame)
    assert await recv(conn) == {"type": "error", "payload": {"message": reason}}
    await send(conn, {"type": "start", "id": "1", "payload": {"query": "query { x }"}})
    assert (await recv(conn))["type"] == "data"


async def test_bad_start_payload_names_the_id(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "3", "payload": {"query": 5}})
    assert await recv(conn) == {
        "type": "error",
        "id": "3",
        "payload": {
            "message": "Message 'start' requires a 'payload' object with a 'query' string"
        },
    }


async def test_oversized_message_gets_an_error(ws_server):
    ws_server.set_options(keepalive_interval=0, max_message_size=1000)
    conn = await connected(ws_server)
    query = "query { x }" + " " * 1000
    await send(conn, {"type": "start", "id": "1", "payload": {"query": query}})
    assert await recv(conn) == {
        "type": "error",
        "payload": {"message": "Message larger than 1000 bytes"},
    }
    assert ws_server.executor.payloads == []


async def test_operation_limit(ws_server):
    ws_server.set_options(keepalive_interval=0, max_operations=1)
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "1", "payload": SUB})
    await ws_server.executor.next_feed()
    await send(conn, {"type": "start", "id": "2", "payload": SUB})
    assert await recv(conn) == {
        "type": "error",
        "id": "2",
        "payload": {"message": "Too many operations (at most 1)"},
    }
    assert await recv(conn) == {"type": "complete", "id": "2"}


async def test_connection_terminate_closes(ws_server):
    conn = await connected(ws_server)
    await send(conn, {"type": "start", "id": "1", "payload": SUB})
    feed = await ws_server.executor.next_feed()
    await send(conn, {"type": "connection_terminate"})
    assert await closed(conn) == (1000, "Connection terminated")
    await asyncio.wait_for(feed.closed.wait(), TIMEOUT)
    await ws_server.all_finished()


async def test_client_close_cancels_every_operation(ws_server):
    conn = await connected(ws_server)
    for op_id in ("1", "2"):
        await send(conn, {"type": "start", "id": op_id, "payload": SUB})
    feeds = [await ws_server.executor.next_feed() for _ in range(2)]
    conn.close()
    await ws_server.all_finished()
    assert all(feed.closed.is_set() for feed in feeds)
    handler = ws_server.connections[0]
    assert handler.protocol is not None and len(handler.protocol.operations) == 0


async def test_refused_connection(ws_server):
    async def refuse(context):
        raise ConnectionRefused("No entry")

    ws_server.app.settings["cylc_ws_on_connect"] = refuse
    conn = await ws_server.connect(PROTOCOL)
    await send(conn, {"type": "connection_init", "payload": {}})
    assert await recv(conn) == {"type": "connection_error", "payload": {"message": "No entry"}}
    assert await closed(conn) == (4403, "No entry")
