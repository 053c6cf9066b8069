"""``/cylc/graphql`` and ``/cylc/graphql/batch``: GraphQL over HTTP (web-api §2.3, §2.4)."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
from http.client import responses
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from .execution import HTTPOutcome, encode_errors, execute_http
from .identity import Identity, identify
from .operations import ConnectionContext
from .params import BadRequest, graphql_params, normalise_params, parse_body

if TYPE_CHECKING:
    from .operations import Executor

__all__ = [
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_BODY_SIZE",
    "GraphQLBatchHandler",
    "GraphQLHandler",
]

log = logging.getLogger("uiserver.transport")

#: Largest POST body accepted, in bytes (settings key ``cylc_max_body_size``).
DEFAULT_MAX_BODY_SIZE = 1024 * 1024
#: Most operations in one batch (settings key ``cylc_max_batch``).
DEFAULT_MAX_BATCH = 50

_INTERNAL_ERROR = "Internal server error"


class _GraphQLAPIHandler(APIHandler):
    """What both GraphQL endpoints share: identity, limits and ``{"errors"}`` replies."""

    @property
    def owner(self) -> str:
        return self.settings.get("cylc_owner") or getpass.getuser()

    @property
    def executor(self) -> Executor:
        executor = self.settings.get("cylc_executor")
        if executor is None:
            raise web.HTTPError(503, "GraphQL is not available on this server.")
        return executor

    def identity(self) -> Identity:
        identity = identify(self, self.owner)
        if identity is None:  # @web.authenticated let nobody through
            raise web.HTTPError(403)
        return identity

    def context(self, identity: Identity, method: str) -> ConnectionContext:
        """The executor's view of this request."""
        return ConnectionContext(
            user=identity.user,
            request=self.request,
            extra={"token_authenticated": identity.token_authenticated, "http_method": method},
        )

    def check_body_size(self) -> None:
        limit = self.settings.get("cylc_max_body_size", DEFAULT_MAX_BODY_SIZE)
        if len(self.request.body) > limit:
            raise BadRequest(f"Request body larger than {limit} bytes.", 413)

    @property
    def pretty(self) -> bool:
        return self.get_query_argument("pretty", "") not in ("", "0", "false")

    def reply(self, status: int, body: bytes) -> None:
        """Send ``body`` (encoded JSON) as it is, or re-indented for ``?pretty=1``."""
        self.set_status(status)
        if self.pretty:
            body = json.dumps(json.loads(body), indent=2).encode()
        self.finish(body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as GraphQL clients read them: ``{"errors": [{"message": ...}]}``.

        Tornado has already logged any unexpected exception with its
        traceback; the client gets only a generic message.
        """
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = responses.get(status_code, "Unknown HTTP Error")
        if isinstance(exc, web.HTTPError):
            if exc.log_message:
                message = exc.log_message % exc.args if exc.args else exc.log_message
        elif exc is not None:
            message = _INTERNAL_ERROR
        self.finish(encode_errors([{"message": message}]))


class GraphQLHandler(_GraphQLAPIHandler):
    """One query (GET or POST) or mutation (POST) per request."""

    @web.authenticated
    async def get(self) -> None:
        """``?query=…&variables=…&operationName=…``; queries only."""
        try:
            payload = graphql_params(self.request, {})
        except BadRequest as exc:
            self.reply(exc.status, encode_errors([{"message": exc.message}]))
            return
        await self._answer(payload, "GET")

    @web.authenticated
    async def post(self) -> None:
        """A JSON, ``application/graphql`` or form body."""
        try:
            self.check_body_size()
            body = parse_body(self.request)
            if isinstance(body, list):
                raise BadRequest("Send a list of operations to the batch endpoint (graphql/batch).")
            if not isinstance(body, dict):
                raise BadRequest("POST body must be a JSON object.")
            payload = graphql_params(self.request, body)
        except BadRequest as exc:
            self.reply(exc.status, encode_errors([{"message": exc.message}]))
            return
        await self._answer(payload, "POST")

    async def _answer(self, payload: dict[str, Any], method: str) -> None:
        outcome = await execute_http(
            self.executor, payload, self.context(self.identity(), method), method
        )
        if outcome.status == 405:
            self.set_header("Allow", "POST")
        self.reply(outcome.status, outcome.body)


class GraphQLBatchHandler(_GraphQLAPIHandler):
    """A JSON array of operations, run concurrently, answered in order.

    Each answer is ``{"id": <index>, "status": <HTTP-like status>,
    "payload": <result object>}``; one failing entry never fails the others.
    """

    @web.authenticated
    async def post(self) -> None:
        try:
            self.check_body_size()
            body = parse_body(self.request)
            if not isinstance(body, list):
                raise BadRequest("Batch requests must be a JSON array of operations.")
            if not body:
                raise BadRequest("Received an empty list in the batch request.")
            limit = self.settings.get("cylc_max_batch", DEFAULT_MAX_BATCH)
            if len(body) > limit:
                raise BadRequest(f"A batch may hold at most {limit} operations.")
        except BadRequest as exc:
            self.reply(exc.status, encode_errors([{"message": exc.message}]))
            return
        executor = self.executor
        identity = self.identity()
        # One context per entry: executors may write to it.
        outcomes = await asyncio.gather(
            *(
                self._run_entry(executor, entry, self.context(identity, "POST"), index)
                for index, entry in enumerate(body)
            )
        )
        # Results are spliced in as the executor encoded them.
        parts = [
            b'{"id":%d,"status":%d,"payload":%s}' % (index, outcome.status, outcome.body)
            for index, outcome in enumerate(outcomes)
        ]
        self.reply(200, b"[" + b",".join(parts) + b"]")

    async def _run_entry(
        self, executor: Executor, entry: Any, context: ConnectionContext, index: int
    ) -> HTTPOutcome:
        try:
            payload = normalise_params(entry)
        except BadRequest as exc:
            return HTTPOutcome(exc.status, encode_errors([{"message": exc.message}]))
        try:
            return await execute_http(executor, payload, context, "POST")
        except Exception:
            log.exception("GraphQL batch entry %d failed", index)
            return HTTPOutcome(500, encode_errors([{"message": _INTERNAL_ERROR}]))
