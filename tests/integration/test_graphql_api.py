"""The GraphQL API end to end: a real Jupyter server with the extension, real
cylc-flow schedulers in simulation mode, real HTTP and websocket clients."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import time
from pathlib import Path

import pytest

from tests.cylc_harness import BUSY, SMALL
from tests.extension import extension, until
from tests.jupyter_loop import on_server_loop
from tests.ui_documents import APP_SUBSCRIPTION, WORKFLOW_SUBSCRIPTION
from tests.gql_client import LEGACY, MODERN, ClientStore, GraphQLSocket
from uiserver.sync import Level

OWNER = "root" if os.geteuid() == 0 else __import__("getpass").getuser()

TASKS_QUERY = """
query ($ids: [ID]) {
  taskProxies(workflows: $ids) { id state isHeld }
  jobs(workflows: $ids) { id state }
}
"""


@pytest.fixture
def run_dir(cylc_home: Path) -> Path:
    return cylc_home / "cylc-run"


@pytest.fixture
def jp_server_config(run_dir):
    return {
        "ServerApp": {"jpserver_extensions": {"uiserver": True}},
        "CylcUIServer": {"run_dir": str(run_dir), "scan_interval": 0.5, "linger": 0.0},
    }


@pytest.fixture
def harness_environ(jp_environ, harness, monkeypatch):
    """Server-side `cylc` commands (play, clean) use the harness's HOME."""
    for key, value in harness.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PYTHONPATH", raising=False)


@pytest.fixture
def ws_url(http_server_client, jp_http_port, jp_base_url):
    # http_server_client is what makes pytest-jupyter listen on the port.
    return f"ws://127.0.0.1:{jp_http_port}{jp_base_url}cylc/subscriptions"


@pytest.fixture
def token(jp_serverapp):
    return jp_serverapp.identity_provider.token


@pytest.fixture
def graphql(jp_fetch):
    """POST a GraphQL request; return (status, body)."""

    async def post(query: str, variables: dict | None = None, *, raise_error: bool = True):
        response = await jp_fetch(
            "cylc", "graphql", method="POST", raise_error=raise_error,
            body=json.dumps({"query": query, "variables": variables or {}}),
            headers={"Content-Type": "application/json"},
        )
        return response.code, json.loads(response.body)

    return post


async def start(harness, name: str, flow: str, **kwargs):
    harness.write_workflow(name, flow)
    await asyncio.to_thread(harness.play, name, **kwargs)
    return f"~{OWNER}/{name}"


async def discovered(app, workflow_id: str, running: bool = True):
    await until(
        lambda: (e := app.registry.get(workflow_id)) is not None and e.running == running,
        20, f"{workflow_id} discovered",
    )


async def read_until(client: GraphQLSocket, store: ClientStore, op_id: str, predicate,
                     timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        result = await client.next_result(op_id, timeout=remaining)
        assert "errors" not in result, result
        store.apply(result["data"]["deltas"])


def server_socket(peer) -> socket.socket:
    """The server's end of the websocket whose client end is bound to ``peer``."""
    from uiserver.transport.websocket import GraphQLWebSocketHandler

    for obj in gc.get_objects():
        if isinstance(obj, GraphQLWebSocketHandler) and obj.ws_connection is not None:
            sock = obj.ws_connection.stream.socket
            if sock is not None and sock.getpeername() == peer:
                return sock
    raise AssertionError(f"no server socket for {peer}")


def held(store: ClientStore, task_id: str) -> bool | None:
    return store.elements["taskProxies"].get(task_id, {}).get("isHeld")


@pytest.mark.parametrize("protocol", [LEGACY, MODERN])
@on_server_loop(timeout=120)
async def test_burst_matches_http_and_hold_release_stream(harness_environ, jp_serverapp, harness, ws_url, token, graphql, protocol):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "small", SMALL, pause=True)
        await discovered(app, wid)
        client = await GraphQLSocket.connect(ws_url, token, protocol)
        try:
            await client.subscribe("1", WORKFLOW_SUBSCRIPTION, {"workflowId": wid}, "Workflow")
            store = ClientStore()
            # The burst may come from the placeholder first, then the snapshot.
            await read_until(client, store, "1", lambda: store.elements["taskProxies"], 30,
                             "task proxies in the stream")
            status, body = await graphql(TASKS_QUERY, {"ids": [wid]})
            assert status == 200 and "errors" not in body, body
            http = {t["id"]: t["state"] for t in body["data"]["taskProxies"]}
            assert http and {k: v["state"] for k, v in store.elements["taskProxies"].items()} == http
            assert store.elements["workflow"][wid]["status"] == "paused"

            task = f"{wid}//1/foo"
            status, body = await graphql(
                "mutation ($w: [WorkflowID]!, $t: [NamespaceIDGlob]!) "
                "{ hold(workflows: $w, tasks: $t) { result } }",
                {"w": [wid], "t": ["1/foo"]},
            )
            assert status == 200 and "errors" not in body, body
            entry = body["data"]["hold"]["result"][0]["hold"]["result"][0]
            assert entry["id"] == wid and entry["response"][0] is True, body
            await read_until(client, store, "1", lambda: held(store, task) is True, 20, "held")

            status, body = await graphql(
                "mutation { release(workflows: [\"%s\"], tasks: [\"1/foo\"]) { result } }" % wid
            )
            assert status == 200 and "errors" not in body, body
            await read_until(client, store, "1", lambda: held(store, task) is False, 20, "released")
        finally:
            client.close()


@on_server_loop(timeout=120)
async def test_app_subscription_sees_every_workflow(harness_environ, jp_serverapp, harness, ws_url, token, run_dir):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "sidebar", SMALL, pause=True)
        (run_dir / "never" / "run1").mkdir(parents=True)
        (run_dir / "never" / "run1" / "flow.cylc").write_text(SMALL)
        await discovered(app, wid)
        await discovered(app, f"~{OWNER}/never/run1", running=False)
        client = await GraphQLSocket.connect(ws_url, token)
        try:
            await client.subscribe("app", APP_SUBSCRIPTION, operation_name="App")
            seen: dict[str, dict] = {}
            deadline = time.monotonic() + 30
            while not (seen.get(wid, {}).get("stateTotals") and f"~{OWNER}/never/run1" in seen):
                result = await client.next_result("app", timeout=deadline - time.monotonic())
                deltas = result["data"]["deltas"]
                for section in ("added", "updated"):
                    workflow = (deltas.get(section) or {}).get("workflow")
                    if workflow:
                        seen.setdefault(deltas["id"], {}).update(workflow)
            assert seen[wid]["status"] == "paused"
            assert seen[f"~{OWNER}/never/run1"]["status"] == "stopped"
            # Summary demand only: the sidebar must not pull every task.
            assert app.sync.wanted(wid) == Level.SUMMARY
        finally:
            client.close()
        await until(lambda: app.sync.wanted(wid) == Level.NONE, 10, "demand released")


@on_server_loop(timeout=120)
async def test_fan_out_resolves_each_batch_once(harness_environ, jp_serverapp, harness, ws_url, token, graphql):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "fanout", SMALL, pause=True)
        await discovered(app, wid)
        clients = [await GraphQLSocket.connect(ws_url, token) for _ in range(20)]
        try:
            for client in clients:
                await client.subscribe("1", WORKFLOW_SUBSCRIPTION, {"workflowId": wid}, "Workflow")
            stores = [ClientStore() for _ in clients]
            await asyncio.gather(*(
                read_until(c, s, "1", lambda s=s: s.elements["taskProxies"], 30, "burst")
                for c, s in zip(clients, stores)
            ))
            hub = app.executor.hub
            assert len(hub.shared) == 1
            shared = next(iter(hub.shared.values()))
            assert len(shared.subscribers) == 20
            # The web UI's document takes the compiled fast path.
            assert shared.compiled
            before = shared.resolutions
            # Read raw frames from here on: they must be byte-identical.
            await graphql('mutation { hold(workflows: ["%s"], tasks: ["1/*"]) { result } }' % wid)
            raw = [await asyncio.wait_for(c.connection.read_message(), 20) for c in clients]
            assert len(set(raw)) == 1, "sockets got different frames"
            frames = 1
            # Each applied batch was resolved once, whatever the number of sockets.
            assert shared.resolutions - before == frames, (shared.resolutions, before)
        finally:
            for client in clients:
                client.close()
        await until(lambda: not app.executor.hub.shared, 10, "shared subscription ended")


@on_server_loop(timeout=120)
async def test_closing_a_socket_ends_its_operations_and_demand(harness_environ, jp_serverapp, harness, ws_url, token):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "closing", SMALL, pause=True)
        await discovered(app, wid)
        client = await GraphQLSocket.connect(ws_url, token, LEGACY)
        await client.subscribe("1", WORKFLOW_SUBSCRIPTION, {"workflowId": wid}, "Workflow")
        await client.subscribe("2", APP_SUBSCRIPTION, operation_name="App")
        await client.next_result("1")
        await until(lambda: app.sync.wanted(wid) == Level.FULL, 10, "full demand")
        assert len(app.executor.hub.shared) == 2
        client.close()
        await until(lambda: not app.executor.hub.shared, 10, "every operation ended")
        await until(lambda: app.sync.wanted(wid) == Level.NONE, 10, "demand released")
        await until(lambda: wid not in app.sync.links, 10, "link closed")


@on_server_loop(timeout=240)
async def test_slow_client_stays_bounded_then_converges(harness_environ, jp_serverapp, harness, ws_url, token, graphql):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "slow", BUSY)
        await discovered(app, wid)
        app.executor.hub.max_pending = 4
        client = await GraphQLSocket.connect(ws_url, token)
        try:
            # Tiny kernel buffers on both ends, so a client that does not
            # read stalls the server's writes after a few frames.
            client_socket = client.connection.protocol.stream.socket
            client_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
            server_socket(client_socket.getsockname()).setsockopt(
                socket.SOL_SOCKET, socket.SO_SNDBUF, 2048)
            await client.subscribe("1", WORKFLOW_SUBSCRIPTION, {"workflowId": wid}, "Workflow")
            store = ClientStore()
            await read_until(client, store, "1", lambda: store.elements["taskProxies"], 30, "burst")
            shared = next(iter(app.executor.hub.shared.values()))
            subscriber = next(iter(shared.subscribers))
            # Stop reading while the workflow runs.
            deadline = time.monotonic() + 60
            while subscriber.coalesced == 0:
                assert time.monotonic() < deadline, "the backlog was never merged"
                assert subscriber.pending <= app.executor.hub.max_pending + 1
                await asyncio.sleep(0.2)
            assert subscriber.pending <= app.executor.hub.max_pending + 1
            await asyncio.to_thread(harness.pause, wid.split("/", 1)[1])
            await asyncio.sleep(2)  # the pause's own deltas

            # Read again: the merged frames bring the client up to date.
            async def converged() -> bool:
                _, body = await graphql(TASKS_QUERY, {"ids": [wid]})
                want = {t["id"]: t["state"] for t in body["data"]["taskProxies"]}
                have = {k: v.get("state") for k, v in store.elements["taskProxies"].items()}
                return want == have

            deadline = time.monotonic() + 60
            while True:
                try:
                    result = await client.next_result("1", timeout=1.5)
                    store.apply(result["data"]["deltas"])
                    continue
                except asyncio.TimeoutError:
                    pass
                if await converged():
                    break
                assert time.monotonic() < deadline, "the slow client never converged"
        finally:
            client.close()


@on_server_loop(timeout=240)
async def test_stream_equals_http_after_activity(harness_environ, jp_serverapp, harness, ws_url, token, graphql):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "busy", BUSY)
        await discovered(app, wid)
        client = await GraphQLSocket.connect(ws_url, token)
        try:
            await client.subscribe("1", WORKFLOW_SUBSCRIPTION, {"workflowId": wid}, "Workflow")
            store = ClientStore()
            seconds = float(os.environ.get("UIS_STREAM_SECONDS", "120"))
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                result = await client.next_result("1", timeout=10)
                assert "errors" not in result, result
                store.apply(result["data"]["deltas"])
            assert store.frames > seconds / 3
            await asyncio.to_thread(harness.pause, "busy")
            deadline = time.monotonic() + 30
            while True:
                try:
                    result = await client.next_result("1", timeout=1.5)
                    store.apply(result["data"]["deltas"])
                    continue
                except asyncio.TimeoutError:
                    pass
                _, body = await graphql(TASKS_QUERY, {"ids": [wid]})
                want_tasks = {t["id"]: (t["state"], t["isHeld"]) for t in body["data"]["taskProxies"]}
                want_jobs = {j["id"]: j["state"] for j in body["data"]["jobs"]}
                have_tasks = {k: (v.get("state"), v.get("isHeld")) for k, v in
                              store.elements["taskProxies"].items()}
                have_jobs = {k: v.get("state") for k, v in store.elements["jobs"].items()}
                if want_tasks == have_tasks and want_jobs == have_jobs:
                    break
                assert time.monotonic() < deadline, (
                    "client store never matched: tasks "
                    f"{[(k, v, have_tasks.get(k)) for k, v in want_tasks.items() if have_tasks.get(k) != v][:5]} "
                    f"jobs {[(k, v, have_jobs.get(k)) for k, v in want_jobs.items() if have_jobs.get(k) != v][:5]} "
                    f"extra {set(have_tasks) - set(want_tasks)} {set(have_jobs) - set(want_jobs)}"
                )
        finally:
            client.close()


@on_server_loop(timeout=120)
async def test_mutation_to_two_workflows_one_stopped(harness_environ, jp_serverapp, harness, graphql, run_dir):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "alive", SMALL, pause=True)
        (run_dir / "dormant").mkdir()
        (run_dir / "dormant" / "flow.cylc").write_text(SMALL)
        await discovered(app, wid)
        await discovered(app, f"~{OWNER}/dormant", running=False)
        status, body = await graphql(
            'mutation { hold(workflows: ["alive", "dormant"], tasks: ["1/foo"]) { result } }'
        )
        assert status == 200, body
        entries = body["data"]["hold"]["result"]
        assert [e["hold"]["result"][0]["id"] for e in entries] == [wid]
        assert any("dormant" in error["message"] for error in body["errors"]), body
        status, body = await graphql(
            'mutation { hold(workflows: ["nothing-here"], tasks: ["1/foo"]) { result } }'
        )
        assert body["data"]["hold"]["result"] == [{"response": [False, "No matching workflows"]}]
        status, body = await graphql("{ commandLog { user mutation outcomes { workflow outcome } } }")
        assert status == 200, body
        log = body["data"]["commandLog"]
        assert log[0]["mutation"] == "hold" and log[1]["mutation"] == "hold"
        assert {o["outcome"] for o in log[1]["outcomes"]} >= {"accepted", "failed"}


@on_server_loop(timeout=120)
async def test_play_then_clean_over_http(harness_environ, jp_serverapp, harness, graphql, run_dir):
    async with extension(jp_serverapp) as app:
        harness.write_workflow("fresh", SMALL)
        wid = f"~{OWNER}/fresh"
        await discovered(app, wid, running=False)
        status, body = await graphql(
            'mutation { play(workflows: ["%s"], mode: Simulation, pause: true) { result } }' % wid
        )
        assert status == 200 and body["data"]["play"]["result"] == [True, "Workflow(s) started"], body
        await discovered(app, wid, running=True)
        await asyncio.to_thread(harness.stop, "fresh")
        await discovered(app, wid, running=False)
        status, body = await graphql('mutation { clean(workflows: ["%s"]) { result } }' % wid)
        assert body["data"]["clean"]["result"] == [True, "Workflow(s) cleaned"], body
        await until(lambda: not (run_dir / "fresh").exists(), 20, "run dir removed")
        await until(lambda: app.registry.get(wid) is None, 20, "workflow forgotten")


@on_server_loop(timeout=120)
async def test_bad_requests_get_exact_errors(harness_environ, jp_serverapp, graphql, jp_fetch):
    async with extension(jp_serverapp) as app:
        status, body = await graphql("{ workflows { id ", raise_error=False)
        assert status == 400
        assert body["errors"][0]["message"] == "Syntax Error: Expected Name, found <EOF>."
        status, body = await graphql("{ workflows { nope } }", raise_error=False)
        assert status == 400
        assert body["errors"][0]["message"] == "Cannot query field 'nope' on type 'Workflow'. Did you mean 'name'?"
        deep = "{ workflows { " + "meta { " * 1 + "title }" + " } }"
        status, body = await graphql(deep)
        assert status == 200
        too_deep = "query { taskProxies { " + "firstParent { " * 30 + "id" + " }" * 31 + " }"
        status, body = await graphql(too_deep, raise_error=False)
        assert status == 400 and body["errors"][0]["message"].startswith("Query too deep"), body
        status, body = await graphql('{ taskProxy(id: "~nobody/none//1/x") { id } }')
        assert status == 200 and body["data"] == {"taskProxy": None}, body
        status, body = await graphql(
            'mutation { hold(workflows: ["x"], tasks: 5) { result } }', raise_error=False)
        assert status == 400 and "NamespaceIDGlob" in body["errors"][0]["message"], body


@on_server_loop(timeout=120)
async def test_ignore_interval_coalesces_instead_of_dropping(harness_environ, jp_serverapp,
                                                             harness, ws_url, token):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "paced", BUSY)
        await discovered(app, wid)
        client = await GraphQLSocket.connect(ws_url, token)
        try:
            await client.subscribe(
                "w", "subscription ($w: ID) { workflows(ids: [$w], ignoreInterval: 2.0) "
                "{ id status lastUpdated } }", {"w": wid})
            times = []
            end = time.monotonic() + 9
            while time.monotonic() < end:
                await client.next_result("w", timeout=10)
                times.append(time.monotonic())
            gaps = [b - a for a, b in zip(times, times[1:])]
            # The workflow summary changes about once a second; the client
            # gets at most one snapshot every two seconds of it.
            assert len(times) >= 4 and all(gap > 1.8 for gap in gaps), gaps
            # The last change of a burst still arrives (it is merged, not dropped).
            await asyncio.to_thread(harness.pause, "paced")
            deadline = time.monotonic() + 20
            status = None
            while status != "paused":
                result = await client.next_result("w", timeout=deadline - time.monotonic())
                status = result["data"]["workflows"][0]["status"]
        finally:
            client.close()


@on_server_loop(timeout=120)
async def test_query_on_an_unwatched_workflow_syncs_on_demand(harness_environ, jp_serverapp,
                                                              harness, graphql):
    async with extension(jp_serverapp) as app:
        wid = await start(harness, "unwatched", SMALL, pause=True)
        await discovered(app, wid)
        assert app.sync.wanted(wid) == Level.NONE and wid not in app.sync.links
        status, body = await graphql(TASKS_QUERY, {"ids": [wid]})
        assert status == 200 and "errors" not in body, body
        states = {t["id"]: t["state"] for t in body["data"]["taskProxies"]}
        assert states.get(f"{wid}//1/foo") == "waiting", states
        # The query's demand ends with the query (linger is 0 here).
        assert app.sync.wanted(wid) == Level.NONE
        await until(lambda: wid not in app.sync.links, 10, "link closed after the query")
        # Placeholder fields need no connection at all.
        status, body = await graphql('{ workflows(ids: ["%s"]) { id status host } }' % wid)
        assert body["data"]["workflows"][0]["status"] == "paused", body
        assert wid not in app.sync.links
