"""Reading a GraphQL request out of an HTTP request (web-api §2.3)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tornado.httputil import HTTPServerRequest

__all__ = ["BadRequest", "graphql_params", "normalise_params", "parse_body"]

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadRequest(Exception):
    """The request cannot be a GraphQL request; ``status`` and ``message`` say why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _content_type(request: HTTPServerRequest) -> str:
    return request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def parse_body(request: HTTPServerRequest) -> Any:
    """Decode a POST body by its content type.

    JSON bodies give whatever JSON value they hold; ``application/graphql``
    gives ``{"query": <body>}``; form bodies give their fields; anything
    else gives ``{}`` (the URL's parameters may still hold the query).
    """
    kind = _content_type(request)
    if kind == "application/json" or kind.endswith("+json"):
        try:
            return json.loads(request.body)
        except (ValueError, RecursionError):
            raise BadRequest("POST body sent invalid JSON.") from None
    if kind == "application/graphql":
        try:
            return {"query": request.body.decode("utf-8")}
        except UnicodeDecodeError:
            raise BadRequest("POST body is not UTF-8.") from None
    if kind in _FORM_TYPES:
        return _first_values(request.body_arguments)
    return {}


def _first_values(arguments: Mapping[str, list[bytes]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, items in arguments.items():
        if items:
            try:
                values[name] = items[0].decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest(f"Parameter {name!r} is not UTF-8.") from None
    return values


def graphql_params(request: HTTPServerRequest, body: Mapping[str, Any]) -> dict[str, Any]:
    """The GraphQL payload of a request: the body's fields over the URL's."""
    merged: dict[str, Any] = dict(_first_values(request.query_arguments))
    merged.pop("pretty", None)
    merged.update(body)
    return normalise_params(merged)


def normalise_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Check one request's ``query``, ``variables``, ``operationName`` and
    ``extensions``, decoding ``variables`` and ``extensions`` given as JSON
    strings. Raises :class:`BadRequest` with the message clients expect."""
    if not isinstance(params, Mapping):
        raise BadRequest("Each request must be a JSON object.")
    query = params.get("query")
    if not query:
        raise BadRequest("Must provide query string.")
    if not isinstance(query, str):
        raise BadRequest("The query must be a string.")
    payload: dict[str, Any] = {"query": query}
    operation_name = params.get("operationName") or None
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("The operationName must be a string.")
    payload["operationName"] = operation_name
    payload["variables"] = _json_object(params.get("variables"), "Variables")
    payload["extensions"] = _json_object(params.get("extensions"), "Extensions")
    return payload


def _json_object(value: Any, what: str) -> dict[str, Any] | None:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise BadRequest(f"{what} are invalid JSON.") from None
    if value is None or isinstance(value, dict):
        return value
    raise BadRequest(f"{what} must be a JSON object.")
