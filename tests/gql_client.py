"""A small, strict GraphQL-over-WebSocket client for tests (both protocols).

It speaks to the real server over a real socket with tornado's websocket
client, whose one-message read queue means a client that stops calling
:meth:`GraphQLSocket.receive` really stops reading from the socket.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

__all__ = ["GraphQLSocket", "ClientStore", "LEGACY", "MODERN"]

LEGACY = "graphql-ws"
MODERN = "graphql-transport-ws"


class GraphQLSocket:
    """One websocket connection speaking ``protocol``."""

    def __init__(self, connection: WebSocketClientConnection, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol

    @classmethod
    async def connect(
        cls, url: str, token: str, protocol: str = MODERN, *, timeout: float = 10.0
    ) -> GraphQLSocket:
        request = HTTPRequest(
            url, headers={"Authorization": f"token {token}"}, connect_timeout=timeout
        )
        connection = await asyncio.wait_for(
            websocket_connect(request, subprotocols=[protocol]), timeout
        )
        assert connection.selected_subprotocol == protocol
        socket = cls(connection, protocol)
        await socket.send({"type": "connection_init", "payload": {}})
        ack = await socket.receive(timeout)
        assert ack["type"] == "connection_ack", ack
        return socket

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.write_message(json.dumps(message))

    async def receive(self, timeout: float = 10.0, *, skip_keepalive: bool = True) -> dict[str, Any]:
        """The next message (keep-alives answered or skipped); raises on close."""
        while True:
            raw = await asyncio.wait_for(self.connection.read_message(), timeout)
            if raw is None:
                raise ConnectionError(
                    f"socket closed: {self.connection.close_code} {self.connection.close_reason}"
                )
            message = json.loads(raw)
            kind = message.get("type")
            if skip_keepalive and kind == "ka":
                continue
            if skip_keepalive and kind == "ping":
                await self.send({"type": "pong"})
                continue
            if skip_keepalive and kind == "pong":
                continue
            return message

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        if operation_name:
            payload["operationName"] = operation_name
        kind = "subscribe" if self.protocol == MODERN else "start"
        await self.send({"type": kind, "id": op_id, "payload": payload})

    async def stop(self, op_id: str) -> None:
        kind = "complete" if self.protocol == MODERN else "stop"
        await self.send({"type": kind, "id": op_id})

    async def next_result(self, op_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next result payload for ``op_id``; fails on error or completion."""
        while True:
            message = await self.receive(timeout)
            if message.get("id") != op_id:
                continue
            if message["type"] in ("next", "data"):
                return message["payload"]
            raise AssertionError(f"expected a result for {op_id}, got {message}")

    def close(self) -> None:
        self.connection.close()


class ClientStore:
    """A client-side store merging ``deltas`` frames the way the web UI does."""

    TYPES = ("workflow", "taskProxies", "familyProxies", "jobs", "edges")

    def __init__(self) -> None:
        self.elements: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in self.TYPES}
        self.frames = 0

    def apply(self, deltas: dict[str, Any]) -> None:
        self.frames += 1
        added = deltas.get("added") or {}
        updated = deltas.get("updated") or {}
        pruned = deltas.get("pruned") or {}
        for section in (added, updated):
            workflow = section.get("workflow") or {}
            if workflow.get("reloaded"):
                for name in self.TYPES[1:]:
                    self.elements[name].clear()
        for section in (added, updated):
            for name in self.TYPES:
                items = section.get(name)
                if not items:
                    continue
                for item in [items] if name == "workflow" else items:
                    self.elements[name].setdefault(item["id"], {}).update(item)
        for name in self.TYPES[1:]:
            for key in pruned.get(name) or ():
                self.elements[name].pop(key, None)
