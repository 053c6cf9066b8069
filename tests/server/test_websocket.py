"""``/cylc/subscriptions`` inside a real Jupyter server: authentication and both protocols."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError

from tests.jupyter_loop import on_server_loop
from tests.unit.transport.stubs import TIMEOUT, StubExecutor
from uiserver.transport.options import ProtocolOptions

pytestmark = pytest.mark.timeout(60)

NO_TOKEN = {"Authorization": ""}
SUB = {"query": "subscription { deltas { id } }"}


@pytest.fixture
def executor(jp_serverapp):
    stub = StubExecutor()
    jp_serverapp.web_app.settings["cylc_executor"] = stub
    jp_serverapp.web_app.settings["cylc_ws_options"] = ProtocolOptions(keepalive_interval=0)
    return stub


@pytest.fixture
def owner(jp_serverapp):
    return jp_serverapp.web_app.settings["cylc_owner"]


@pytest.fixture
def connect(jp_ws_fetch):
    """Open ``cylc/subscriptions`` offering ``protocols``; closes them all afterwards."""
    opened = []

    async def _connect(*protocols, **kwargs):
        conn = await asyncio.wait_for(
            jp_ws_fetch("cylc", "subscriptions", subprotocols=list(protocols), **kwargs),
            TIMEOUT,
        )
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


async def send(conn, message):
    await asyncio.wait_for(conn.write_message(json.dumps(message)), TIMEOUT)


async def recv(conn):
    text = await asyncio.wait_for(conn.read_message(), TIMEOUT)
    assert text is not None, f"closed: {conn.close_code} {conn.close_reason}"
    return json.loads(text)


async def closed(conn):
    while await asyncio.wait_for(conn.read_message(), TIMEOUT) is not None:
        pass
    return conn.close_code, conn.close_reason


@on_server_loop()
async def test_no_credentials_403_on_upgrade(connect, executor):
    with pytest.raises(HTTPClientError) as info:
        await connect("graphql-transport-ws", headers=dict(NO_TOKEN))
    assert info.value.code == 403
    with pytest.raises(HTTPClientError) as info:
        await connect("graphql-ws", headers=dict(NO_TOKEN), params={"token": "wrong"})
    assert info.value.code == 403


@on_server_loop()
async def test_token_header_modern_protocol(connect, executor, owner):
    conn = await connect("graphql-ws", "graphql-transport-ws")
    assert conn.selected_subprotocol == "graphql-transport-ws"
    await send(conn, {"type": "connection_init", "payload": {}})
    assert await recv(conn) == {"type": "connection_ack"}
    await send(conn, {"id": "1", "type": "subscribe", "payload": {"query": "query { x }"}})
    assert await recv(conn) == {"id": "1", "type": "next", "payload": {"data": {"x": 1}}}
    assert await recv(conn) == {"id": "1", "type": "complete"}
    context = executor.contexts[0]
    assert context.user == owner
    assert context.extra == {"token_authenticated": True}
    assert context.request.path.endswith("/cylc/subscriptions")


@on_server_loop()
async def test_token_parameter_legacy_protocol(connect, executor, jp_serverapp):
    token = jp_serverapp.identity_provider.token
    conn = await connect("graphql-ws", headers=dict(NO_TOKEN), params={"token": token})
    assert conn.selected_subprotocol == "graphql-ws"
    await send(conn, {"type": "connection_init", "payload": {}})
    await send(conn, {"id": "1", "type": "start", "payload": SUB})
    assert await recv(conn) == {"type": "connection_ack"}
    feed = await executor.next_feed()
    feed.push(b'{"data":{"deltas":{"id":"w"}}}')
    assert await recv(conn) == {
        "type": "data",
        "id": "1",
        "payload": {"data": {"deltas": {"id": "w"}}},
    }
    await send(conn, {"id": "1", "type": "stop"})
    assert await recv(conn) == {"type": "complete", "id": "1"}
    await asyncio.wait_for(feed.closed.wait(), TIMEOUT)


async def login_cookie(jp_fetch, port):
    # Jupyter names the cookie after the host; jp_ws_fetch connects to localhost.
    response = await jp_fetch("cylc", "userprofile", headers={"Host": f"localhost:{port}"})
    return "; ".join(c.split(";", 1)[0] for c in response.headers.get_list("Set-Cookie"))


@on_server_loop()
async def test_cookie_login_and_the_origin_check(connect, executor, jp_fetch, jp_http_port, owner):
    cookie = await login_cookie(jp_fetch, jp_http_port)
    browser = {**NO_TOKEN, "Cookie": cookie, "Origin": f"http://localhost:{jp_http_port}"}
    conn = await connect("graphql-ws", headers=browser)
    await send(conn, {"type": "connection_init", "payload": {}})
    assert await recv(conn) == {"type": "connection_ack"}
    await send(conn, {"id": "1", "type": "start", "payload": {"query": "query { x }"}})
    assert await recv(conn) == {"type": "data", "id": "1", "payload": {"data": {"x": 1}}}
    assert executor.contexts[0].user == owner
    assert executor.contexts[0].extra == {"token_authenticated": False}
    # Another site's page cannot use the browser's cookie.
    with pytest.raises(HTTPClientError) as info:
        await connect("graphql-ws", headers={**browser, "Origin": "http://evil.example"})
    assert info.value.code == 403


@on_server_loop()
async def test_unknown_subprotocol_closes_4406(connect, executor):
    conn = await connect("mqtt")
    assert conn.selected_subprotocol is None
    assert await closed(conn) == (4406, "Subprotocol not acceptable")


@on_server_loop()
async def test_options_come_from_the_settings(connect, executor, jp_serverapp):
    jp_serverapp.web_app.settings["cylc_ws_options"] = ProtocolOptions(
        keepalive_interval=0.2, init_timeout=0.3
    )
    legacy = await connect("graphql-ws")
    await send(legacy, {"type": "connection_init"})
    assert await recv(legacy) == {"type": "connection_ack"}
    assert await recv(legacy) == {"type": "ka"}
    assert await recv(legacy) == {"type": "ka"}
    modern = await connect("graphql-transport-ws")
    assert await closed(modern) == (4408, "Connection initialisation timeout")


@on_server_loop()
async def test_closing_the_socket_ends_every_operation(connect, executor):
    conn = await connect("graphql-transport-ws")
    await send(conn, {"type": "connection_init"})
    assert await recv(conn) == {"type": "connection_ack"}
    for op_id in ("a", "b"):
        await send(conn, {"id": op_id, "type": "subscribe", "payload": SUB})
    feeds = [await executor.next_feed() for _ in range(2)]
    conn.close()
    await asyncio.wait_for(asyncio.gather(*(feed.closed.wait() for feed in feeds)), TIMEOUT)
