"""The interface between the websocket protocols and GraphQL execution."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tornado.httputil import HTTPServerRequest

__all__ = [
    "ConnectHook",
    "ConnectionContext",
    "ConnectionRefused",
    "Executor",
    "OperationError",
    "OperationKind",
    "PreparedOperation",
]

OperationKind = Literal["query", "mutation", "subscription"]


class OperationError(Exception):
    """An operation failed before execution (parse, validation or authorisation).

    The protocols send :attr:`errors` to the client as GraphQL errors; the
    connection stays open.
    """

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e.get("message", e)) for e in errors))


class ConnectionRefused(Exception):
    """A connect hook refused the connection (close 4403 ``Forbidden``).

    The message, if any, goes to legacy ``graphql-ws`` clients in their
    ``connection_error`` frame.
    """


@dataclass(slots=True)
class ConnectionContext:
    """What an executor knows about the connection an operation came from."""

    #: The authenticated Jupyter user name (``None`` only in tests).
    user: str | None
    #: The ``connection_init`` payload (``{}`` until it arrives).
    connection_params: dict[str, Any] = field(default_factory=dict)
    #: The HTTP upgrade request, for headers and cookies.
    request: HTTPServerRequest | None = None
    #: Free for the server to fill, e.g. ``token_authenticated``.
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class PreparedOperation(Protocol):
    """A parsed, validated and authorised operation, ready to run."""

    kind: OperationKind

    def results(self) -> AsyncIterator[bytes]:
        """Yield each execution result as encoded JSON, e.g. ``b'{"data":{}}'``.

        One item for a query or mutation, open-ended for a subscription. The
        protocol closes the iterator with ``aclose()`` when the operation ends
        early (client stop, socket close), so ``finally`` blocks run at once.
        The bytes are spliced into frames unchanged, so one encoded result can
        be shared by every socket subscribed to the same thing.
        """
        ...


@runtime_checkable
class Executor(Protocol):
    """Turns a GraphQL request payload into a :class:`PreparedOperation`."""

    async def prepare(
        self, payload: dict[str, Any], context: ConnectionContext
    ) -> PreparedOperation:
        """Parse, validate and authorise ``payload`` (``query``, ``variables``,
        ``operationName``, ``extensions``).

        Raises :class:`OperationError` for anything the client got wrong or may
        not do; any other exception is treated as a server bug.
        """
        ...


#: Optional hook run on ``connection_init``; raise :class:`ConnectionRefused`
#: to refuse the connection.
ConnectHook = Callable[[ConnectionContext], Awaitable[None]]
