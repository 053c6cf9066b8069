"""Benchmark websocket clients (legacy ``graphql-ws``, as the web UI speaks).

Every frame is time-stamped by tornado's message callback, as soon as the
frame has been read off the socket, and queued; a separate task parses and
merges it, yielding to the event loop after each frame so that a big frame
for one client does not delay the time stamps of the others.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

__all__ = ["Frame", "BenchClient", "ClientStore", "http_query", "record_frame"]

PROTOCOL = "graphql-ws"
TYPES = ("taskProxies", "familyProxies", "jobs", "edges")


@dataclass
class Frame:
    """One ``data`` frame as received."""

    t_recv: float  # time.time() when read off the socket
    nbytes: int
    workflow: str | None
    last_updated: float | None
    reloaded: bool
    #: The frame carries ``added.workflow``: a snapshot of the workflow (a
    #: burst or a reload), whose ``lastUpdated`` tells the age of the data,
    #: not how long a batch took to arrive. Latency samples skip it.
    snapshot: bool
    n_task_proxies: int  # in the client's store for that workflow, after merging
    errors: int


class ClientStore:
    """Merges ``deltas`` frames per workflow the way the web UI does (web-api §7.5)."""

    def __init__(self) -> None:
        self.workflows: dict[str, dict[str, Any]] = {}
        self.elements: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}

    def of(self, workflow_id: str) -> dict[str, dict[str, dict[str, Any]]]:
        return self.elements.setdefault(workflow_id, {name: {} for name in TYPES})

    def apply(self, deltas: dict[str, Any]) -> None:
        workflow_id = deltas.get("id")
        added = deltas.get("added") or {}
        updated = deltas.get("updated") or {}
        pruned = deltas.get("pruned") or {}
        store = self.of(workflow_id)
        for section in (added, updated):
            if (section.get("workflow") or {}).get("reloaded"):
                for name in TYPES:
                    store[name].clear()
        for section in (added, updated):
            workflow = section.get("workflow")
            if workflow:
                self.workflows.setdefault(workflow_id, {}).update(workflow)
            for name in TYPES:
                for item in section.get(name) or ():
                    store[name].setdefault(item["id"], {}).update(item)
        for name in TYPES:
            for key in pruned.get(name) or ():
                store[name].pop(key, None)
        if pruned.get("workflow"):
            self.workflows.pop(workflow_id, None)
            self.elements.pop(workflow_id, None)


def _last_updated(deltas: dict[str, Any]) -> tuple[float | None, bool]:
    value = None
    reloaded = False
    for section in ("added", "updated"):
        workflow = (deltas.get(section) or {}).get("workflow") or {}
        if workflow.get("lastUpdated") is not None:
            value = max(value or 0.0, float(workflow["lastUpdated"]))
        reloaded = reloaded or bool(workflow.get("reloaded"))
    return value, reloaded


def record_frame(client: Any, frame: Frame) -> None:
    """Append ``frame`` to ``client.frames`` and set the events watchers wait on
    (shared by :class:`BenchClient` and ``client_process.RemoteClient``)."""
    client.frames.append(frame)
    client.first_frame.set()
    if frame.n_task_proxies:
        client.first_tasks.set()
    client.activity.set()


@dataclass
class BenchClient:
    """One websocket with one subscription, recording every frame."""

    label: str
    url: str
    token: str
    query: str
    variables: dict[str, Any]
    operation_name: str
    store: ClientStore = field(default_factory=ClientStore)
    frames: list[Frame] = field(default_factory=list)
    t_start: float | None = None  # time.time() when `start` was sent
    other_messages: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    #: Called after each recorded frame or other message (the client process
    #: of :mod:`benchmarks.client_process` reports through it).
    on_record: Callable[[Frame | dict[str, Any]], None] | None = None

    def __post_init__(self) -> None:
        self._inbox: asyncio.Queue[tuple[float, str | None]] = asyncio.Queue()
        self._connection: WebSocketClientConnection | None = None
        self._consumer: asyncio.Task | None = None
        self.first_frame = asyncio.Event()
        self.first_tasks = asyncio.Event()  # a frame left task proxies in the store
        self.activity = asyncio.Event()  # set on every frame; cleared by watchers

    def _on_message(self, message: str | bytes | None) -> None:
        self._inbox.put_nowait((time.time(), message))

    async def connect(self, timeout: float = 30.0) -> None:
        """Open the websocket (nothing sent yet)."""
        request = HTTPRequest(
            self.url, headers={"Authorization": f"token {self.token}"},
            connect_timeout=timeout, request_timeout=timeout,
        )
        self._consumer = asyncio.create_task(self._consume())
        self._connection = await asyncio.wait_for(
            websocket_connect(
                request, subprotocols=[PROTOCOL], on_message_callback=self._on_message,
                max_message_size=1 << 30, ping_interval=None,
            ),
            timeout,
        )

    async def start(self, timeout: float = 30.0) -> None:
        """Send ``connection_init`` and ``start`` at once (as the UI does), connecting first if need be."""
        if self._connection is None:
            await self.connect(timeout)
        assert self._connection is not None
        payload = {
            "query": self.query, "variables": self.variables,
            "operationName": self.operation_name, "extensions": {},
        }
        self.t_start = time.time()
        await self._connection.write_message(json.dumps({"type": "connection_init", "payload": {}}))
        await self._connection.write_message(json.dumps({"id": "1", "type": "start", "payload": payload}))

    async def _consume(self) -> None:
        while True:
            t_recv, raw = await self._inbox.get()
            if raw is None:
                self.closed = True
                self.activity.set()
                return
            message = json.loads(raw)
            if message.get("type") == "data" and message.get("id") == "1":
                payload = message.get("payload") or {}
                deltas = (payload.get("data") or {}).get("deltas") or {}
                self.store.apply(deltas)
                last_updated, reloaded = _last_updated(deltas)
                workflow_id = deltas.get("id")
                snapshot = bool((deltas.get("added") or {}).get("workflow"))
                record_frame(self, Frame(
                    t_recv, len(raw), workflow_id, last_updated, reloaded, snapshot,
                    len(self.store.of(workflow_id)["taskProxies"]) if workflow_id else 0,
                    len(payload.get("errors") or ()),
                ))
                if self.on_record is not None:
                    self.on_record(self.frames[-1])
            elif message.get("type") not in ("connection_ack", "ka"):
                self.other_messages.append(message)
                if self.on_record is not None:
                    self.on_record(message)
            # Let tornado read (and time-stamp) other sockets between frames.
            await asyncio.sleep(0)

    async def fetch_store(self) -> None:
        """Nothing to fetch: the store lives in this process (see RemoteClient)."""

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._consumer is not None:
            try:
                await asyncio.wait_for(self._consumer, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._consumer.cancel()


async def http_query(
    base_url: str, token: str, query: str, variables: dict[str, Any] | None = None,
    *, timeout: float = 60.0,
) -> dict[str, Any]:
    """POST one GraphQL document to ``/cylc/graphql``; return ``data`` (raise on errors)."""
    body = json.dumps({"query": query, "variables": variables or {}})
    response = await AsyncHTTPClient().fetch(
        HTTPRequest(
            f"{base_url}/cylc/graphql", method="POST", body=body,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
            request_timeout=timeout, connect_timeout=timeout,
        ),
        raise_error=False,
    )
    if response.code != 200:
        raise RuntimeError(f"HTTP {response.code}: {response.body[:500]!r}")
    result = json.loads(response.body)
    if result.get("errors"):
        raise RuntimeError(f"GraphQL errors: {result['errors'][:3]}")
    return result["data"]


def pause_collector() -> None:
    """Run the benchmark process without automatic cyclic garbage collection.

    Every client lives in this one process. With 10 clients holding 10,000
    task proxies each, one full collection walks about a million objects, and
    every frame that arrives meanwhile is stamped late by the pause. The
    stores hold no reference cycles; the few that asyncio makes are freed by
    :func:`collect_between_phases`, outside every measurement window.
    """
    gc.disable()


def collect_between_phases() -> None:
    """Collect what the finished phase left (the collector is otherwise off)."""
    gc.collect()
