"""The ``graphql-transport-ws`` protocol, server side."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from ..base import BadMessage, ProtocolHandler, encode, encode_id
from .types import PROTOCOL, CloseCode, ConnectionAckMessage, PingMessage, PongMessage

__all__ = ["GraphQLTransportWSHandler"]

_ACK = encode(ConnectionAckMessage(type="connection_ack"))
_PING = encode(PingMessage(type="ping"))
_PONG = encode(PongMessage(type="pong"))


class GraphQLTransportWSHandler(ProtocolHandler):
    """Serves one ``graphql-transport-ws`` connection.

    Protocol faults close the socket with their own :class:`CloseCode`;
    operation faults send ``error`` for that operation and the socket stays
    open. The server pings every ``keepalive_interval`` after the ack; pongs
    are accepted and need not come (Jupyter's websocket pings catch dead
    peers).
    """

    subprotocol: ClassVar[str] = PROTOCOL
    internal_error: ClassVar[tuple[int, str]] = (
        CloseCode.INTERNAL_SERVER_ERROR,
        "Internal server error",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_received = False
        self._acknowledged = False
        self._init_timer: asyncio.Task[Any] | None = None

    def open(self) -> None:
        """Start the wait for ``connection_init``."""
        if self.options.init_timeout:
            self._start_background(self._expire_init(), "init-timeout")

    async def _expire_init(self) -> None:
        await asyncio.sleep(self.options.init_timeout)
        if not self._init_received:
            self.close(
                CloseCode.CONNECTION_INITIALISATION_TIMEOUT,
                "Connection initialisation timeout",
            )

    async def _dispatch(self, message: dict[str, Any]) -> None:
        match message.get("type"):
            case "connection_init":
                await self._on_init(message)
            case "ping":
                _check_payload(message)
                payload = message.get("payload")
                pong = _PONG if payload is None else encode({"type": "pong", "payload": payload})
                await self._send(pong)
            case "pong":
                _check_payload(message)
            case "subscribe":
                await self._on_subscribe(message)
            case "complete":
                # Cancel without awaiting: the read loop must stay responsive
                # and nothing more may be sent for this id.
                self.operations.cancel(_require_id(message))
            case str(other):
                raise BadMessage(f"Unexpected message type: {other!r}"[:100])
            case _:
                raise BadMessage("Message requires a string 'type'")

    async def _on_bad_message(self, error: BadMessage) -> None:
        self.close(CloseCode.BAD_REQUEST, error.reason)

    async def _on_init(self, message: dict[str, Any]) -> None:
        _check_payload(message)
        if self._init_received:
            self.close(
                CloseCode.TOO_MANY_INITIALISATION_REQUESTS, "Too many initialisation requests"
            )
            return
        self._init_received = True
        self.context.connection_params = message.get("payload") or {}
        refusal = await self._refused()
        if refusal is not None:
            self.close(CloseCode.FORBIDDEN, "Forbidden")
            return
        await self._send(_ACK)
        self._acknowledged = True
        if self.options.keepalive_interval:
            self._start_background(self._keepalive(_PING), "keepalive")

    async def _on_subscribe(self, message: dict[str, Any]) -> None:
        op_id = _require_id(message)
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise BadMessage(
                "Message 'subscribe' requires a 'payload' object with a 'query' string"
            )
        if not self._acknowledged:
            self.close(CloseCode.UNAUTHORIZED, "Unauthorized")
            return
        if op_id in self.operations:
            self.close(
                CloseCode.SUBSCRIBER_ALREADY_EXISTS, f"Subscriber for {op_id} already exists"
            )
            return
        if self._at_capacity():
            limit = self.options.max_operations
            await self._send(
                _error_frame(op_id, [{"message": f"Too many operations (at most {limit})"}])
            )
            return
        self._start_operation(op_id, payload)

    # -- frames ---------------------------------------------------------------

    def _result_prefix(self, op_id: Hashable) -> bytes:
        return b'{"id":' + encode_id(op_id) + b',"type":"next","payload":'

    def _complete_frame(self, op_id: Hashable) -> bytes:
        return b'{"id":' + encode_id(op_id) + b',"type":"complete"}'

    def _operation_error_frames(
        self, op_id: Hashable, errors: list[dict[str, Any]]
    ) -> Sequence[bytes]:
        return [_error_frame(op_id, errors)]

    def _failure_frames(self, op_id: Hashable, message: str) -> Sequence[bytes]:
        return [_error_frame(op_id, [{"message": message}])]


def _require_id(message: dict[str, Any]) -> str:
    op_id = message.get("id")
    if not isinstance(op_id, str) or not op_id:
        raise BadMessage(f"Message {message['type']!r} requires a non-empty string 'id'")
    return op_id


def _check_payload(message: dict[str, Any]) -> None:
    if not isinstance(message.get("payload", None), dict | None):
        raise BadMessage(f"Message {message['type']!r} payload must be an object or null")


def _error_frame(op_id: Hashable, errors: list[dict[str, Any]]) -> bytes:
    return (
        b'{"id":'
        + encode_id(op_id)
        + b',"type":"error","payload":'
        + json.dumps(errors, separators=(",", ":")).encode()
        + b"}"
    )
