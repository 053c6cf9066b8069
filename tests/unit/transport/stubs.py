"""Test stand-ins for the GraphQL executor: real async generators the test drives."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from uiserver.transport.operations import ConnectionContext, OperationError, OperationKind

TIMEOUT = 3.0
QUERY_RESULT = b'{"data":{"x":1}}'
MUTATION_RESULT = b'{"data":{"m":true}}'
BAD_QUERY_ERRORS = [{"message": "Cannot query field 'bad' on type 'Query'."}]


class Feed:
    """A subscription's result stream, fed by the test through a queue."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        self.closed = asyncio.Event()

    def push(self, item: bytes | BaseException | None) -> None:
        self.queue.put_nowait(item)

    async def results(self):
        try:
            while True:
                item = await self.queue.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            # Runs at once when the protocol cancels or closes the stream.
            self.closed.set()


class Flood(Feed):
    """A subscription yielding big frames as fast as they can be sent."""

    FRAME = b'{"data":{"s":"' + b"x" * (1024 * 1024) + b'"}}'

    async def results(self):
        try:
            while True:
                yield self.FRAME
                await asyncio.sleep(0)
        finally:
            self.closed.set()


@dataclass
class Prepared:
    kind: OperationKind
    stream: Any

    def results(self):
        return self.stream()


class Single:
    """A query or mutation: one result, then the stream ends."""

    def __init__(self, result: bytes) -> None:
        self.result = result
        self.closed = False

    async def results(self):
        try:
            yield self.result
        finally:
            self.closed = True


@dataclass
class StubExecutor:
    """Chooses behaviour by the query's first word, the way tests write them.

    ``query …`` answers ``{"data":{"x":1}}``; ``mutation …`` answers
    ``{"data":{"m":true}}``; ``subscription flood`` floods; other
    subscriptions read a :class:`Feed`; a document containing ``bad``
    raises :class:`OperationError`; one containing ``crash`` raises a
    server bug from ``prepare``.
    """

    feeds: asyncio.Queue[Feed] = field(default_factory=asyncio.Queue)
    #: ``query barrier`` answers only once two of them run at the same time.
    barrier: asyncio.Barrier = field(default_factory=lambda: asyncio.Barrier(2))
    contexts: list[ConnectionContext] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)

    async def prepare(self, payload: dict[str, Any], context: ConnectionContext) -> Prepared:
        self.contexts.append(context)
        self.payloads.append(payload)
        query = payload["query"]
        if "bad" in query:
            raise OperationError(BAD_QUERY_ERRORS)
        if "crash" in query:
            raise RuntimeError("executor bug")
        if "barrier" in query:
            return Prepared("query", self._barrier_results)
        if query.startswith("query") or query.startswith("{"):
            return Prepared("query", Single(QUERY_RESULT).results)
        if query.startswith("mutation"):
            return Prepared("mutation", Single(MUTATION_RESULT).results)
        feed = Flood(payload) if "flood" in query else Feed(payload)
        self.feeds.put_nowait(feed)
        return Prepared("subscription", feed.results)

    async def _barrier_results(self):
        await asyncio.wait_for(self.barrier.wait(), TIMEOUT)
        yield QUERY_RESULT

    async def next_feed(self) -> Feed:
        return await asyncio.wait_for(self.feeds.get(), TIMEOUT)


class StandInAuthorizer:
    """The authorizer interface (``permissions(user, token_authenticated)``) with fixed grants."""

    def __init__(self, grants: dict[str, frozenset[str]]) -> None:
        self.grants = grants
        self.calls: list[tuple[str, bool]] = []

    def permissions(self, user: str, token_authenticated: bool) -> frozenset[str]:
        self.calls.append((user, token_authenticated))
        return self.grants.get(user, frozenset())
