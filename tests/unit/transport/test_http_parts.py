"""The pure parts behind the HTTP endpoints: request parameters, initials, permissions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from tornado.httputil import HTTPHeaders, HTTPServerRequest

from uiserver.transport.identity import ALL_OPERATIONS, Identity, camel_case, permissions
from uiserver.transport.params import BadRequest, graphql_params, normalise_params, parse_body
from uiserver.transport.profile import derive_initials, extension_urls

from .stubs import StandInAuthorizer


def request(body: bytes = b"", content_type: str = "", uri: str = "/cylc/graphql"):
    headers = HTTPHeaders({"Content-Type": content_type} if content_type else {})
    req = HTTPServerRequest(method="POST", uri=uri, headers=headers, body=body)
    req._parse_body()
    return req


def test_json_body():
    assert parse_body(request(b'{"query": "q"}', "application/json; charset=utf-8")) == {
        "query": "q"
    }
    with pytest.raises(BadRequest, match="POST body sent invalid JSON.") as info:
        parse_body(request(b"{", "application/json"))
    assert info.value.status == 400


def test_graphql_and_form_bodies():
    assert parse_body(request(b"{ x }", "application/graphql")) == {"query": "{ x }"}
    form = request(b"query=%7B+x+%7D&variables=%7B%7D", "application/x-www-form-urlencoded")
    assert parse_body(form) == {"query": "{ x }", "variables": "{}"}
    assert parse_body(request(b"whatever", "text/plain")) == {}


def test_url_parameters_fill_in_and_the_body_wins():
    req = request(uri="/cylc/graphql?query=a&operationName=Op&pretty=1")
    assert graphql_params(req, {"query": "b"}) == {
        "query": "b",
        "operationName": "Op",
        "variables": None,
        "extensions": None,
    }


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "Must provide query string."),
        ({"query": None}, "Must provide query string."),
        ({"query": ["q"]}, "The query must be a string."),
        ({"query": "q", "operationName": 3}, "The operationName must be a string."),
        ({"query": "q", "variables": "[1]"}, "Variables must be a JSON object."),
        ({"query": "q", "extensions": "{"}, "Extensions are invalid JSON."),
        ([], "Each request must be a JSON object."),
    ],
)
def test_normalise_rejects(params, message):
    with pytest.raises(BadRequest) as info:
        normalise_params(params)
    assert info.value.message == message and info.value.status == 400


def test_normalise_decodes_json_strings_and_blanks():
    assert normalise_params({"query": "q", "variables": " ", "extensions": '{"e": 1}'}) == {
        "query": "q",
        "operationName": None,
        "variables": None,
        "extensions": {"e": 1},
    }


@pytest.mark.parametrize(
    "name, initials",
    [("bob", "B"), ("jane.doe", "JD"), ("ann-marie_smith", "AM"), ("x9", "X"), ("__", "_")],
)
def test_derive_initials(name, initials):
    assert derive_initials(name) == initials


def test_extension_urls():
    apps = {
        "uiserver": [SimpleNamespace(name="cylc", extension_url="/cylc/", default_url="/cylc/")],
        "jupyterlab": [SimpleNamespace(name="lab", extension_url="/lab", default_url="/lab")],
        "rooted": [SimpleNamespace(name="root", extension_url="/", default_url="/")],
        "hashed": [SimpleNamespace(name="h", extension_url="/", default_url="/h/#/x")],
    }
    serverapp = SimpleNamespace(extension_manager=SimpleNamespace(extension_apps=apps))
    assert extension_urls(serverapp, "/user/bob/") == {
        "cylc": "/user/bob/cylc",
        "lab": "/user/bob/lab",
        "h": "/user/bob/h",
    }
    assert extension_urls(None, "/") == {}


def test_camel_case():
    assert camel_case("set_graph_window_extent") == "setGraphWindowExtent"
    assert camel_case("read") == "read"


def identity(user: str, token: bool = False) -> Identity:
    return Identity(user=user, token_authenticated=token, model=None, as_owner=False)


def test_permissions_without_an_authorizer():
    settings = {"cylc_owner": "alice"}
    assert permissions(settings, identity("alice")) == ALL_OPERATIONS
    assert permissions(settings, identity("bob", token=True)) == ALL_OPERATIONS
    assert permissions(settings, identity("bob")) == frozenset()
    assert len(ALL_OPERATIONS) == 22


def test_permissions_ask_the_authorizer():
    authorizer = StandInAuthorizer({"bob": frozenset({"read"})})
    settings = {"cylc_owner": "alice", "cylc_authorizer": authorizer}
    assert permissions(settings, identity("bob")) == {"read"}
    assert permissions(settings, identity("alice", token=True)) == frozenset()
    assert authorizer.calls == [("bob", False), ("alice", True)]
