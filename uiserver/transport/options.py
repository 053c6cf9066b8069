"""Tunable limits and timers shared by both websocket protocols."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ProtocolOptions"]


@dataclass(frozen=True, slots=True)
class ProtocolOptions:
    """Per-connection limits and timers; the defaults suit the Cylc web UI."""

    #: Seconds between keep-alives: ``ka`` on ``graphql-ws`` (the first goes
    #: right after the ack), server ``ping`` on ``graphql-transport-ws``.
    #: 0 disables them. Keep it well under the legacy client's 30 s timeout.
    keepalive_interval: float = 10.0
    #: Seconds a ``graphql-transport-ws`` client has to send
    #: ``connection_init`` before the socket is closed with 4408. 0 waits
    #: forever. (Legacy ``graphql-ws`` has no such rule.)
    init_timeout: float = 10.0
    #: Largest inbound message in bytes (UTF-8); larger ones are refused
    #: (4400 on ``graphql-transport-ws``, an ``error`` frame on ``graphql-ws``).
    max_message_size: int = 1024 * 1024
    #: Most operations one connection may run at once; further ones get an
    #: ``error`` and the socket stays open.
    max_operations: int = 100
    #: Seconds one outgoing frame may take to reach the client's socket
    #: before the client is considered stuck and the connection is closed
    #: (1013 ``Try again later``). 0 waits forever.
    send_timeout: float = 60.0

    def __post_init__(self) -> None:
        for name in ("keepalive_interval", "init_timeout", "send_timeout"):
            if getattr(self, name) < 0:
                raise ValueError(f"ProtocolOptions.{name} must be >= 0 (0 disables it)")
        for name in ("max_message_size", "max_operations"):
            if getattr(self, name) < 1:
                raise ValueError(f"ProtocolOptions.{name} must be >= 1")
