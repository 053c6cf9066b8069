"""Messages and close codes of the ``graphql-transport-ws`` protocol."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "PROTOCOL",
    "ClientMessage",
    "CloseCode",
    "CompleteMessage",
    "ConnectionAckMessage",
    "ConnectionInitMessage",
    "ErrorMessage",
    "Message",
    "NextMessage",
    "PingMessage",
    "PongMessage",
    "ServerMessage",
    "SubscribeMessage",
    "SubscribePayload",
]

#: The ``Sec-WebSocket-Protocol`` name.
PROTOCOL = "graphql-transport-ws"


class CloseCode(IntEnum):
    """Close codes of the protocol; each fatal fault has its own."""

    #: Invalid message: bad JSON, unknown type, missing field, too large.
    BAD_REQUEST = 4400
    #: ``subscribe`` before ``connection_ack``.
    UNAUTHORIZED = 4401
    #: The server refused the connection during initialisation.
    FORBIDDEN = 4403
    #: The client offered no subprotocol the server speaks.
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    #: No ``connection_init`` within the server's timeout.
    CONNECTION_INITIALISATION_TIMEOUT = 4408
    #: ``subscribe`` with the id of an operation still running.
    SUBSCRIBER_ALREADY_EXISTS = 4409
    #: A second ``connection_init``.
    TOO_MANY_INITIALISATION_REQUESTS = 4429
    #: A bug on the server.
    INTERNAL_SERVER_ERROR = 4500


class SubscribePayload(TypedDict):
    """A GraphQL request, as in ``subscribe``."""

    query: str
    operationName: NotRequired[str | None]
    variables: NotRequired[dict[str, Any] | None]
    extensions: NotRequired[dict[str, Any] | None]


class ConnectionInitMessage(TypedDict):
    """Client → server: must come first; ``payload`` holds connection params."""

    type: Literal["connection_init"]
    payload: NotRequired[dict[str, Any] | None]


class ConnectionAckMessage(TypedDict):
    """Server → client: the client may now subscribe."""

    type: Literal["connection_ack"]
    payload: NotRequired[dict[str, Any] | None]


class PingMessage(TypedDict):
    """Either direction: answer with ``pong`` as soon as possible."""

    type: Literal["ping"]
    payload: NotRequired[dict[str, Any] | None]


class PongMessage(TypedDict):
    """Either direction: answers ``ping``, or a one-way heartbeat."""

    type: Literal["pong"]
    payload: NotRequired[dict[str, Any] | None]


class SubscribeMessage(TypedDict):
    """Client → server: run an operation under a unique id."""

    type: Literal["subscribe"]
    id: str
    payload: SubscribePayload


class NextMessage(TypedDict):
    """Server → client: one execution result."""

    type: Literal["next"]
    id: str
    payload: dict[str, Any]


class ErrorMessage(TypedDict):
    """Server → client: the operation failed; no ``complete`` follows."""

    type: Literal["error"]
    id: str
    payload: list[dict[str, Any]]


class CompleteMessage(TypedDict):
    """Either direction: the operation is over (from the client: stop it)."""

    type: Literal["complete"]
    id: str


ClientMessage = (
    ConnectionInitMessage | PingMessage | PongMessage | SubscribeMessage | CompleteMessage
)
ServerMessage = (
    ConnectionAckMessage | PingMessage | PongMessage | NextMessage | ErrorMessage | CompleteMessage
)
Message = ClientMessage | ServerMessage
