"""GraphQL over HTTP, the user profile and the version, inside a real Jupyter server."""

from __future__ import annotations

import asyncio
import json
from importlib.metadata import version
from urllib.parse import urlencode

import pytest
from jupyter_server.auth.identity import IdentityProvider, User

from tests.unit.transport.stubs import (
    BAD_QUERY_ERRORS,
    MUTATION_RESULT,
    QUERY_RESULT,
    StandInAuthorizer,
    StubExecutor,
)
from tests.jupyter_loop import on_server_loop
from uiserver import __version__
from uiserver.transport.identity import ALL_OPERATIONS, camel_case

pytestmark = pytest.mark.timeout(60)

NO_TOKEN = {"Authorization": ""}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def executor(jp_serverapp):
    """The stand-in executor, injected where the extension's would be."""
    stub = StubExecutor()
    jp_serverapp.web_app.settings["cylc_executor"] = stub
    return stub


@pytest.fixture
def owner(jp_serverapp):
    return jp_serverapp.web_app.settings["cylc_owner"]


@pytest.fixture
def fetch(jp_fetch):
    """``jp_fetch`` that returns error responses instead of raising them."""

    async def _fetch(*parts, **kwargs):
        kwargs.setdefault("raise_error", False)
        return await jp_fetch(*parts, **kwargs)

    return _fetch


def body(response):
    return json.loads(response.body)


def post_json(payload):
    return {"method": "POST", "headers": dict(JSON), "body": json.dumps(payload)}


# -- authentication -----------------------------------------------------------


@pytest.mark.parametrize(
    "path, kwargs",
    [
        ("cylc/graphql", {"params": {"query": "query { x }"}}),
        ("cylc/graphql", {"method": "POST", "body": '{"query": "query { x }"}'}),
        ("cylc/graphql/batch", {"method": "POST", "body": '[{"query": "query { x }"}]'}),
        ("cylc/userprofile", {}),
        ("cylc/version", {}),
    ],
)
@on_server_loop()
async def test_no_credentials_get_403_json(fetch, executor, path, kwargs):
    headers = {**NO_TOKEN, **JSON} if kwargs.get("method") == "POST" else dict(NO_TOKEN)
    response = await fetch(path, headers=headers, **kwargs)
    assert response.code == 403
    assert response.headers["Content-Type"].startswith("application/json")
    assert isinstance(body(response), dict)
    assert executor.payloads == []


@on_server_loop()
async def test_token_in_header_or_url(fetch, executor, jp_serverapp, owner):
    response = await fetch("cylc/graphql", params={"query": "query { x }"})
    assert response.code == 200 and response.body == QUERY_RESULT
    token = jp_serverapp.identity_provider.token
    response = await fetch(
        "cylc/graphql", headers=NO_TOKEN, params={"query": "query { x }", "token": token}
    )
    assert response.code == 200 and response.body == QUERY_RESULT
    context = executor.contexts[0]
    assert context.user == owner
    assert context.extra == {"token_authenticated": True, "http_method": "GET"}
    assert context.request is not None


async def login_cookies(fetch):
    """Log in with the token once; return the cookies a browser would keep."""
    response = await fetch("cylc/userprofile")
    cookies = [c.split(";", 1)[0] for c in response.headers.get_list("Set-Cookie")]
    assert cookies, "the token login sets a cookie"
    return "; ".join(cookies)


@on_server_loop()
async def test_cookie_posts_need_the_xsrf_header(fetch, executor, owner):
    cookie = await login_cookies(fetch)
    with_cookie = {**NO_TOKEN, **JSON, "Cookie": f"{cookie}; _xsrf=c0ffee"}
    payload = json.dumps({"query": "mutation { m }"})
    response = await fetch("cylc/graphql", method="POST", headers=with_cookie, body=payload)
    assert response.code == 403
    assert "xsrf" in body(response)["errors"][0]["message"].lower()
    assert executor.payloads == []
    response = await fetch(
        "cylc/graphql",
        method="POST",
        headers={**with_cookie, "X-XSRFToken": "c0ffee"},
        body=payload,
    )
    assert response.code == 200 and response.body == MUTATION_RESULT
    # A cookie login outside JupyterHub can only have come from the owner.
    assert executor.contexts[0].user == owner
    assert executor.contexts[0].extra["token_authenticated"] is False
    # GETs need no XSRF header.
    response = await fetch(
        "cylc/graphql", headers={**NO_TOKEN, "Cookie": cookie}, params={"query": "query { x }"}
    )
    assert response.code == 200


# -- /cylc/graphql ------------------------------------------------------------


@on_server_loop()
async def test_post_json_with_variables_as_a_string(fetch, executor):
    response = await fetch(
        "cylc/graphql",
        **post_json(
            {"query": "query Q { x }", "variables": '{"a": 1}', "operationName": "Q"}
        ),
    )
    assert response.code == 200 and response.body == QUERY_RESULT
    assert executor.payloads == [
        {"query": "query Q { x }", "variables": {"a": 1}, "operationName": "Q", "extensions": None}
    ]
    assert executor.contexts[0].extra["http_method"] == "POST"


@on_server_loop()
async def test_post_graphql_document_and_form(fetch, executor):
    response = await fetch(
        "cylc/graphql",
        method="POST",
        headers={"Content-Type": "application/graphql"},
        body="query { x }",
        params={"variables": '{"v": true}'},
    )
    assert response.code == 200 and response.body == QUERY_RESULT
    response = await fetch(
        "cylc/graphql",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"query": "mutation { m }", "variables": '{"w": 2}'}),
    )
    assert response.code == 200 and response.body == MUTATION_RESULT
    assert [p["variables"] for p in executor.payloads] == [{"v": True}, {"w": 2}]
    assert [p["query"] for p in executor.payloads] == ["query { x }", "mutation { m }"]


@on_server_loop()
async def test_pretty(fetch, executor):
    response = await fetch("cylc/graphql", params={"query": "query { x }", "pretty": "1"})
    assert response.body.decode() == json.dumps({"data": {"x": 1}}, indent=2)
    # pretty is ours, not a GraphQL parameter.
    assert executor.payloads[0]["variables"] is None


@on_server_loop()
async def test_get_mutation_is_405(fetch, executor):
    response = await fetch("cylc/graphql", params={"query": "mutation { m }"})
    assert response.code == 405
    assert response.headers["Allow"] == "POST"
    assert body(response) == {
        "errors": [{"message": "Can only perform a mutation operation from a POST request."}]
    }


@on_server_loop()
async def test_subscription_over_http_is_400(fetch, executor):
    response = await fetch("cylc/graphql", **post_json({"query": "subscription { deltas }"}))
    assert response.code == 400
    assert "websocket" in body(response)["errors"][0]["message"]
    feed = await executor.next_feed()
    assert not feed.closed.is_set()  # never started: nothing was iterated


@on_server_loop()
async def test_operation_errors_are_400(fetch, executor):
    response = await fetch("cylc/graphql", **post_json({"query": "query { bad }"}))
    assert response.code == 400
    assert body(response) == {"errors": BAD_QUERY_ERRORS}


@pytest.mark.parametrize(
    "raw, message",
    [
        ("{nope", "POST body sent invalid JSON."),
        ("{}", "Must provide query string."),
        ('{"query": ""}', "Must provide query string."),
        ('{"query": 5}', "The query must be a string."),
        ('{"query": "query { x }", "variables": "{x"}', "Variables are invalid JSON."),
        ('{"query": "query { x }", "variables": [1]}', "Variables must be a JSON object."),
        ('"query"', "POST body must be a JSON object."),
        ('[{"query": "query { x }"}]',
         "Send a list of operations to the batch endpoint (graphql/batch)."),
    ],
)  # fmt: skip
@on_server_loop()
async def test_bad_requests_are_400(fetch, executor, raw, message):
    response = await fetch("cylc/graphql", method="POST", headers=dict(JSON), body=raw)
    assert response.code == 400
    assert body(response) == {"errors": [{"message": message}]}
    assert executor.payloads == []


@on_server_loop()
async def test_get_with_variables_and_operation_name(fetch, executor):
    params = {"query": "query Q { x }", "variables": '{"ids": ["a"]}', "operationName": "Q"}
    response = await fetch("cylc/graphql", params=params)
    assert response.code == 200 and response.body == QUERY_RESULT
    assert executor.payloads == [
        {"query": "query Q { x }", "variables": {"ids": ["a"]}, "operationName": "Q",
         "extensions": None}
    ]  # fmt: skip
    response = await fetch("cylc/graphql", params={**params, "variables": "{nope"})
    assert response.code == 400
    assert body(response) == {"errors": [{"message": "Variables are invalid JSON."}]}


@on_server_loop()
async def test_missing_query_on_get(fetch, executor):
    response = await fetch("cylc/graphql", params={"operationName": "Q"})
    assert response.code == 400
    assert body(response) == {"errors": [{"message": "Must provide query string."}]}


@on_server_loop()
async def test_oversized_body_is_413(fetch, executor, jp_serverapp):
    jp_serverapp.web_app.settings["cylc_max_body_size"] = 100
    payload = {"query": "query { x }", "variables": {"pad": "x" * 100}}
    response = await fetch("cylc/graphql", **post_json(payload))
    assert response.code == 413
    assert body(response) == {"errors": [{"message": "Request body larger than 100 bytes."}]}
    assert executor.payloads == []


@on_server_loop()
async def test_server_bugs_are_500_without_details(fetch, executor, caplog):
    response = await fetch("cylc/graphql", **post_json({"query": "query { crash }"}))
    assert response.code == 500
    assert body(response) == {"errors": [{"message": "Internal server error"}]}
    assert b"executor bug" not in response.body and b"Traceback" not in response.body
    assert "executor bug" in caplog.text


@on_server_loop()
async def test_no_executor_is_503(fetch, jp_serverapp):
    jp_serverapp.web_app.settings.pop("cylc_executor", None)
    response = await fetch("cylc/graphql", params={"query": "query { x }"})
    assert response.code == 503
    assert body(response) == {"errors": [{"message": "GraphQL is not available on this server."}]}


# -- /cylc/graphql/batch ------------------------------------------------------


@on_server_loop()
async def test_batch_runs_each_entry_concurrently_and_in_order(fetch, executor):
    entries = [
        {"query": "query barrier"},  # answers only while the other barrier runs
        {"query": "query { bad }"},
        {"query": "mutation { m }", "variables": {"a": 1}},
        {"variables": {}},
        {"query": "subscription { deltas }"},
        {"query": "query { crash }"},
        "not an object",
        {"query": "query barrier"},
    ]
    response = await fetch("cylc/graphql/batch", **post_json(entries))
    assert response.code == 200
    assert body(response) == [
        {"id": 0, "status": 200, "payload": {"data": {"x": 1}}},
        {"id": 1, "status": 400, "payload": {"errors": BAD_QUERY_ERRORS}},
        {"id": 2, "status": 200, "payload": {"data": {"m": True}}},
        {"id": 3, "status": 400, "payload": {"errors": [{"message": "Must provide query string."}]}},
        {"id": 4, "status": 400, "payload": body(response)[4]["payload"]},
        {"id": 5, "status": 500, "payload": {"errors": [{"message": "Internal server error"}]}},
        {"id": 6, "status": 400,
         "payload": {"errors": [{"message": "Each request must be a JSON object."}]}},
        {"id": 7, "status": 200, "payload": {"data": {"x": 1}}},
    ]  # fmt: skip
    assert "websocket" in body(response)[4]["payload"]["errors"][0]["message"]
    assert executor.payloads[2]["variables"] == {"a": 1}


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"query": "query { x }"}, "Batch requests must be a JSON array of operations."),
        ([], "Received an empty list in the batch request."),
        ([{"query": "query { x }"}] * 3, "A batch may hold at most 2 operations."),
    ],
)
@on_server_loop()
async def test_batch_rejects(fetch, executor, jp_serverapp, payload, message):
    jp_serverapp.web_app.settings["cylc_max_batch"] = 2
    response = await fetch("cylc/graphql/batch", **post_json(payload))
    assert response.code == 400
    assert body(response) == {"errors": [{"message": message}]}
    assert executor.payloads == []


# -- /cylc/userprofile and /cylc/version --------------------------------------


@on_server_loop()
async def test_userprofile_for_the_owner(fetch, owner, jp_base_url, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_SINGLEUSER_APP", raising=False)
    profile = body(await fetch("cylc/userprofile"))
    assert profile["username"] == profile["name"] == profile["display_name"] == owner
    assert profile["owner"] == owner
    assert profile["initials"] == owner[0].upper()
    assert profile["permissions"] == sorted(camel_case(op) for op in ALL_OPERATIONS)
    assert "setHoldPoint" in profile["permissions"] and len(profile["permissions"]) == 22
    assert profile["mode"] == "single user"
    assert profile["extensions"]["cylc"] == f"{jp_base_url}cylc"
    assert {"avatar_url", "color"} <= profile.keys()


@on_server_loop()
async def test_userprofile_permissions_come_from_the_authorizer(fetch, jp_serverapp, owner):
    authorizer = StandInAuthorizer({owner: frozenset({"read", "set_hold_point", "play"})})
    jp_serverapp.web_app.settings["cylc_authorizer"] = authorizer
    profile = body(await fetch("cylc/userprofile"))
    assert profile["permissions"] == ["play", "read", "setHoldPoint"]
    assert authorizer.calls == [(owner, True)]


@on_server_loop()
async def test_version(fetch, jp_serverapp, owner):
    response = await fetch("cylc/version")
    assert response.code == 200
    assert body(response) == {"cylc-flow": version("cylc-flow"), "cylc-uiserver": __version__}
    jp_serverapp.web_app.settings["cylc_authorizer"] = StandInAuthorizer({owner: frozenset({"play"})})
    response = await fetch("cylc/version")
    assert response.code == 403


# -- other users (a header-based identity provider stands in for the Hub) -----


class HeaderIdentityProvider(IdentityProvider):
    """``X-Test-User: <name>`` logs in as that user; the token still works."""

    async def get_user(self, handler):
        name = handler.request.headers.get("X-Test-User")
        if name:
            return User(username=name, name=name.title(), display_name=f"{name.title()} Q.")
        return await super().get_user(handler)


class TestOtherUsers:
    @pytest.fixture
    def jp_server_config(self, cylc_run_dir):
        return {
            "ServerApp": {
                "jpserver_extensions": {"uiserver": True},
                "identity_provider_class": HeaderIdentityProvider,
                "disable_check_xsrf": True,
            },
            "CylcUIServer": {"run_dir": str(cylc_run_dir), "scan_interval": 0.2},
        }

    @pytest.fixture
    def authorizer(self, jp_serverapp):
        grants = {"bob": frozenset({"read", "hold"}), "eve": frozenset({"hold"})}
        stand_in = StandInAuthorizer(grants)
        jp_serverapp.web_app.settings["cylc_authorizer"] = stand_in
        return stand_in

    @on_server_loop()
    async def test_profile_and_context_name_the_user(self, fetch, executor, authorizer, owner):
        bob = {**NO_TOKEN, "X-Test-User": "bob"}
        profile = body(await fetch("cylc/userprofile", headers=bob))
        assert profile["username"] == "bob" and profile["name"] == "Bob"
        assert profile["display_name"] == "Bob Q." and profile["initials"] == "B"
        assert profile["owner"] == owner
        assert profile["permissions"] == ["hold", "read"]
        assert authorizer.calls == [("bob", False)]
        response = await fetch("cylc/graphql", headers=bob, params={"query": "query { x }"})
        assert response.code == 200
        assert executor.contexts[0].user == "bob"
        assert executor.contexts[0].extra["token_authenticated"] is False

    @on_server_loop()
    async def test_version_needs_read(self, fetch, authorizer):
        assert (await fetch("cylc/version", headers={**NO_TOKEN, "X-Test-User": "bob"})).code == 200
        response = await fetch("cylc/version", headers={**NO_TOKEN, "X-Test-User": "eve"})
        assert response.code == 403

    @on_server_loop()
    async def test_without_an_authorizer_others_get_nothing(self, fetch, jp_serverapp, monkeypatch):
        monkeypatch.setenv("JUPYTERHUB_SINGLEUSER_APP", "jupyter_server.serverapp.ServerApp")
        jp_serverapp.web_app.settings.pop("cylc_authorizer", None)
        profile = body(await fetch("cylc/userprofile", headers={**NO_TOKEN, "X-Test-User": "eve"}))
        assert profile["permissions"] == [] and profile["mode"] == "multi user"
        response = await fetch("cylc/version", headers={**NO_TOKEN, "X-Test-User": "eve"})
        assert response.code == 403


@on_server_loop()
async def test_query_results_are_counted_towards_a_heap_trim(fetch, jp_serverapp):
    """The extension's executor tells its heap trimmer each result's size."""
    from uiserver.heap import HeapTrimmer

    executor = jp_serverapp.web_app.settings["cylc_executor"]
    assert isinstance(executor.heap, HeapTrimmer)  # on by default
    calls = []
    executor.heap = HeapTrimmer(threshold=1, delay=0, follow_up=60, trim=calls.append)
    response = await fetch("cylc/graphql", params={"query": "query { workflows { id } }"})
    assert response.code == 200 and body(response) == {"data": {"workflows": []}}
    await asyncio.sleep(0.05)
    assert calls == [0]
