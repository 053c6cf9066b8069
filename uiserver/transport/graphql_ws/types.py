"""Messages of the legacy ``graphql-ws`` protocol, one TypedDict each."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "PROTOCOL",
    "ClientMessage",
    "CompleteMessage",
    "ConnectionAckMessage",
    "ConnectionErrorMessage",
    "ConnectionInitMessage",
    "ConnectionTerminateMessage",
    "DataMessage",
    "ErrorMessage",
    "ErrorPayload",
    "KeepAliveMessage",
    "OperationId",
    "ServerMessage",
    "StartMessage",
    "StartPayload",
    "StopMessage",
]

#: The ``Sec-WebSocket-Protocol`` name.
PROTOCOL = "graphql-ws"

#: subscriptions-transport-ws uses strings ("1", "2", …); numbers are tolerated.
OperationId = str | int


class StartPayload(TypedDict):
    """A GraphQL request, as in ``start``."""

    query: str
    variables: NotRequired[dict[str, Any] | None]
    operationName: NotRequired[str | None]
    extensions: NotRequired[dict[str, Any] | None]


class ErrorPayload(TypedDict):
    """The single error object of ``error`` and ``connection_error``."""

    message: str


class ConnectionInitMessage(TypedDict):
    """Client → server: the first message; ``payload`` holds connection params."""

    type: Literal["connection_init"]
    payload: NotRequired[dict[str, Any] | None]


class StartMessage(TypedDict):
    """Client → server: start an operation (allowed before the ack)."""

    type: Literal["start"]
    id: OperationId
    payload: StartPayload


class StopMessage(TypedDict):
    """Client → server: stop an operation."""

    type: Literal["stop"]
    id: OperationId


class ConnectionTerminateMessage(TypedDict):
    """Client → server: the client is going; the server closes the socket."""

    type: Literal["connection_terminate"]


class ConnectionAckMessage(TypedDict):
    """Server → client: the connection is accepted."""

    type: Literal["connection_ack"]


class ConnectionErrorMessage(TypedDict):
    """Server → client: the connection is refused (the socket then closes)."""

    type: Literal["connection_error"]
    payload: ErrorPayload


class KeepAliveMessage(TypedDict):
    """Server → client: keep-alive, right after the ack and then periodically."""

    type: Literal["ka"]


class DataMessage(TypedDict):
    """Server → client: one execution result ``{"data": …, "errors"?: […]}``."""

    type: Literal["data"]
    id: OperationId
    payload: dict[str, Any]


class ErrorMessage(TypedDict):
    """Server → client: an operation failed, or a message was not understood."""

    type: Literal["error"]
    id: NotRequired[OperationId]
    payload: ErrorPayload


class CompleteMessage(TypedDict):
    """Server → client: the operation has ended; nothing more for this id."""

    type: Literal["complete"]
    id: OperationId


ClientMessage = ConnectionInitMessage | StartMessage | StopMessage | ConnectionTerminateMessage
ServerMessage = (
    ConnectionAckMessage
    | ConnectionErrorMessage
    | KeepAliveMessage
    | DataMessage
    | ErrorMessage
    | CompleteMessage
)
