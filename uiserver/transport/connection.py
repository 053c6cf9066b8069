"""The socket as the protocol handlers see it, independent of tornado."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

__all__ = [
    "MAX_CLOSE_REASON_BYTES",
    "NORMAL_CLOSURE",
    "TRY_AGAIN_LATER",
    "Transport",
    "TransportClosed",
    "cap_close_reason",
]

#: RFC 6455 allows 125 bytes of close payload, two of which hold the code.
MAX_CLOSE_REASON_BYTES = 123
#: RFC 6455 "normal closure".
NORMAL_CLOSURE = 1000
#: RFC 6455 "try again later": the server gave up on a client that stopped
#: reading. Clients (including graphql-ws) reconnect after it.
TRY_AGAIN_LATER = 1013


class TransportClosed(Exception):
    """The socket is closed; nothing more can be sent on it."""


class Transport(Protocol):
    """One websocket connection, reduced to what the protocols need."""

    def send_text(self, data: bytes | str | tuple[bytes, ...]) -> Awaitable[None] | None:
        """Send one text frame (``bytes`` must be UTF-8).

        A tuple is one frame made of its parts in order. The transport may
        send them without joining them, so a large part shared by many
        connections is never copied per connection.

        Returns None if the network took the whole frame at once, else an
        awaitable that resolves once it has, so a slow reader slows its
        sender. The common case thus costs no task, future or timer.

        Raises :class:`TransportClosed` if the socket is closed (the
        awaitable raises it too if the socket closes while waiting).
        """
        ...

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake with ``code`` and ``reason``.

        Never raises; closing a closed transport does nothing.
        """
        ...


def cap_close_reason(reason: str, limit: int = MAX_CLOSE_REASON_BYTES) -> str:
    """Shorten ``reason`` to at most ``limit`` UTF-8 bytes, whole characters only."""
    encoded = reason.encode("utf-8")
    if len(encoded) <= limit:
        return reason
    # "ignore" drops a multi-byte character cut in half at the end.
    return encoded[:limit].decode("utf-8", "ignore")
