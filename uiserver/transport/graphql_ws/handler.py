"""The legacy ``graphql-ws`` protocol, as the Cylc web UI speaks it."""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from ..base import BadMessage, ProtocolHandler, encode, encode_id
from ..connection import NORMAL_CLOSURE
from .types import PROTOCOL, ConnectionAckMessage, KeepAliveMessage

__all__ = ["GraphQLWSHandler"]

_ACK = encode(ConnectionAckMessage(type="connection_ack"))
_KA = encode(KeepAliveMessage(type="ka"))
#: 4403 as in graphql-transport-ws; the legacy client does not look at codes.
_FORBIDDEN = 4403
#: RFC 6455 "internal error", what subscriptions-transport-ws servers use.
_INTERNAL_ERROR = 1011


class GraphQLWSHandler(ProtocolHandler):
    """Serves one ``graphql-ws`` connection.

    Differences from the reference server, all on purpose: the ack goes out
    at once; ``ka`` follows it and repeats every ``keepalive_interval``;
    ``stop`` and socket close cancel the operation's work immediately; state
    is per connection. Kept for the UI's sake: ``start`` is accepted before
    the ack (the client flushes its queue right after ``connection_init``), a
    ``start`` reusing a live id replaces that operation (the client re-sends
    every ``start`` with the same ids after reconnecting), and parse or
    validation errors come back as ``data`` with ``errors`` and then
    ``complete``.
    """

    subprotocol: ClassVar[str] = PROTOCOL
    internal_error: ClassVar[tuple[int, str]] = (_INTERNAL_ERROR, "Internal server error")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keepalive_started = False

    async def _dispatch(self, message: dict[str, Any]) -> None:
        match message.get("type"):
            case "connection_init":
                await self._on_init(message)
            case "start":
                await self._on_start(message)
            case "stop":
                await self._on_stop(message)
            case "connection_terminate":
                self.close(NORMAL_CLOSURE, "Connection terminated")
            case other:
                op_id = message.get("id")
                reply_id = op_id if _valid_id(op_id) else None
                await self._send(_error_frame(reply_id, f"Invalid message type: {other}."))

    async def _on_bad_message(self, error: BadMessage) -> None:
        # Legacy clients have no close codes for this: answer and stay open.
        await self._send(_error_frame(error.op_id, error.reason))

    async def _on_init(self, message: dict[str, Any]) -> None:
        payload = message.get("payload")
        self.context.connection_params = payload if isinstance(payload, dict) else {}
        refusal = await self._refused()
        if refusal is not None:
            reason = str(refusal) or "Forbidden"
            await self._send(
                encode({"type": "connection_error", "payload": {"message": reason}})
            )
            self.close(_FORBIDDEN, reason)
            return
        await self._send(_ACK)
        if self.options.keepalive_interval and not self._keepalive_started:
            # The client arms its 30 s keep-alive timer on the first ka, so
            # the first one goes at once.
            self._keepalive_started = True
            await self._send(_KA)
            self._start_background(self._keepalive(_KA), "keepalive")

    async def _on_start(self, message: dict[str, Any]) -> None:
        op_id = message.get("id")
        if not _valid_id(op_id):
            raise BadMessage("Message 'start' requires an 'id' (a string)")
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise BadMessage(
                "Message 'start' requires a 'payload' object with a 'query' string", op_id
            )
        # Replace a live operation with this id: cancel it and send nothing
        # for it, since the id now belongs to the new one.
        self.operations.cancel(op_id)
        if self._at_capacity():
            limit = self.options.max_operations
            await self._send_quietly(
                self._failure_frames(op_id, f"Too many operations (at most {limit})")
            )
            return
        self._start_operation(op_id, payload)

    async def _on_stop(self, message: dict[str, Any]) -> None:
        op_id = message.get("id")
        if not _valid_id(op_id):
            raise BadMessage("Message 'stop' requires an 'id' (a string)")
        if self.operations.cancel(op_id) is not None:
            await self._send(self._complete_frame(op_id))

    # -- frames ---------------------------------------------------------------

    def _result_prefix(self, op_id: Hashable) -> bytes:
        return b'{"type":"data","id":' + encode_id(op_id) + b',"payload":'

    def _complete_frame(self, op_id: Hashable) -> bytes:
        return b'{"type":"complete","id":' + encode_id(op_id) + b"}"

    def _operation_error_frames(
        self, op_id: Hashable, errors: list[dict[str, Any]]
    ) -> Sequence[bytes]:
        # The reference answers parse and validation errors this way and the
        # UI expects it.
        result = json.dumps({"data": None, "errors": errors}, separators=(",", ":"))
        return [self._result_frame(op_id, result.encode()), self._complete_frame(op_id)]

    def _failure_frames(self, op_id: Hashable, message: str) -> Sequence[bytes]:
        return [_error_frame(op_id, message), self._complete_frame(op_id)]


def _valid_id(op_id: object) -> bool:
    # bool is an int, but never a sensible id.
    return isinstance(op_id, str | int) and not isinstance(op_id, bool)


def _error_frame(op_id: Hashable | None, message: str) -> bytes:
    frame: dict[str, Any] = {"type": "error"}
    if op_id is not None:
        frame["id"] = op_id
    frame["payload"] = {"message": message}
    return encode(frame)
