"""Running one GraphQL request for HTTP: prepare, check the method, take the result."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .operations import OperationError

if TYPE_CHECKING:
    from .operations import ConnectionContext, Executor

__all__ = ["HTTPOutcome", "encode_errors", "execute_http"]

log = logging.getLogger("uiserver.transport")

_SUBSCRIPTION_OVER_HTTP = (
    "Subscriptions are not served over HTTP: "
    "use the websocket endpoint (cylc/subscriptions)."
)


@dataclass(frozen=True, slots=True)
class HTTPOutcome:
    """The HTTP status of one request and its encoded JSON result object."""

    status: int
    body: bytes


def encode_errors(errors: list[dict[str, Any]]) -> bytes:
    """``{"errors": [...]}``, compact."""
    return json.dumps({"errors": errors}, separators=(",", ":")).encode()


def _error(status: int, message: str) -> HTTPOutcome:
    return HTTPOutcome(status, encode_errors([{"message": message}]))


async def execute_http(
    executor: Executor, payload: dict[str, Any], context: ConnectionContext, method: str
) -> HTTPOutcome:
    """Run one query or mutation and return its status and result.

    ``OperationError`` gives 400 with its errors; a subscription 400; a
    mutation over GET 405. The executor's result bytes pass through as they
    are. Any other exception propagates (the caller turns it into a 500).
    """
    try:
        prepared = await executor.prepare(payload, context)
    except OperationError as exc:
        return HTTPOutcome(400, encode_errors(exc.errors))
    if prepared.kind == "subscription":
        return _error(400, _SUBSCRIPTION_OVER_HTTP)
    if method == "GET" and prepared.kind != "query":
        # GET must stay safe: a link or an <img> must never run a command.
        return _error(405, f"Can only perform a {prepared.kind} operation from a POST request.")
    results = prepared.results()
    try:
        async for result in results:
            return HTTPOutcome(200, result)
    except OperationError as exc:
        return HTTPOutcome(400, encode_errors(exc.errors))
    finally:
        aclose = getattr(results, "aclose", None)
        if aclose is not None:
            await aclose()
    raise RuntimeError(f"the executor produced no result for a {prepared.kind}")
