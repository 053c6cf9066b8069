"""Subscriptions: resolve each change once, share the bytes, bound every backlog.

Where a delta **leaves** the server: ``Store.emit`` calls
:meth:`SharedSubscription._on_change` for every distinct subscription
(document + variables) that covers the workflow. It resolves the document
once against a :class:`DeltaFrame` of the change and hands the same encoded
bytes to every :class:`Subscriber` (one per websocket operation).

Each subscriber has a bounded backlog. A subscriber that falls behind by more
than ``max_pending`` frames has its backlog merged per workflow
(:func:`merge_frames`), so memory stays bounded by the number of workflows
and the client still converges; merged frames are resolved for that client
alone when it reads them. A merged backlog that grows past
``max_merged_elements`` is replaced by a fresh initial burst of the
workflow, taken when the client next reads.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLSchema,
    OperationDefinitionNode,
    execute,
)

from uiserver.heap import HeapTrimmer
from uiserver.store import Store, StoreChange
from uiserver.sync import Demand, Level, SyncManager

from .awaitable import is_awaitable
from .coalesce import frame_size, merge_frames
from .fastexec import CompiledOperation, NotSynchronous, compile_operation
from .context import ResolveContext
from .encoding import encode_result
from .frames import DeltaFrame
from .gcpause import collection_paused
from .selection import SubscriptionPlan
from .strip import document_strips_nulls

__all__ = ["SharedSubscription", "Subscriber", "SubscriptionHub"]

log = logging.getLogger("uiserver.graphql.subscriptions")

#: A frame's lists of more objects than this are encoded as they are
#: resolved: a burst of 50,000 task proxies then never holds all their dicts.
ENCODE_LISTS_OVER: Final = 512


@dataclass(frozen=True, slots=True)
class SubscriptionKey:
    """What makes two subscriptions the same: identical bytes for every frame."""

    query: str
    operation_name: str | None
    variables: str

    @classmethod
    def of(cls, query: str, operation_name: str | None, variables: dict[str, Any]) -> SubscriptionKey:
        return cls(query, operation_name, json.dumps(variables, sort_keys=True, default=str))


class Finisher(Protocol):
    """Turns an execution result into the dict sent (errors formatted, nulls
    stripped when the document asks for it, unless ``stripped`` says they
    already are); provided by the executor."""

    def __call__(
        self, result: ExecutionResult, context: ResolveContext, *, stripped: bool = False
    ) -> dict[str, Any]: ...


class _Pending:
    """One queued item: shared bytes, or a frame merged for this client."""

    __slots__ = ("workflow_id", "data", "frame", "burst")

    def __init__(
        self,
        workflow_id: str,
        data: bytes | None = None,
        frame: DeltaFrame | None = None,
        burst: bool = False,
    ) -> None:
        self.workflow_id = workflow_id
        self.data = data
        self.frame = frame
        self.burst = burst


class Subscriber:
    """One operation's view of a shared subscription: an async iterator of frames.

    Never blocks the producer: :meth:`push` only queues. Closing it (``aclose``,
    or cancelling the task iterating it) detaches it from the subscription at once.
    """

    def __init__(self, shared: SharedSubscription, max_pending: int, max_merged: int) -> None:
        self._shared = shared
        self._queue: OrderedDict[int, _Pending] = OrderedDict()
        self._next = 0
        self._merged: dict[str, _Pending] = {}
        self._max_pending = max_pending
        self._max_merged = max_merged
        self._wakeup = asyncio.Event()
        self._closed = False
        #: Set when the backlog is merged, cleared when it drains: meanwhile
        #: every queued item is in ``_merged``, one per workflow.
        self._behind = False
        #: Times this subscriber's backlog was merged (for tests and metrics).
        self.coalesced = 0

    # -- producer side --------------------------------------------------------

    def push(self, workflow_id: str, data: bytes, frame: DeltaFrame) -> None:
        """Queue a resolved frame (shared bytes); merge the backlog if it is full."""
        if self._closed:
            return
        merged = self._merged.get(workflow_id)
        if merged is not None:
            # This workflow is already behind: keep merging into its one item.
            self._merge_into(merged, frame)
        else:
            item = _Pending(workflow_id, data=data, frame=frame)
            self._append(item)
            if self._behind:
                # Behind since the last merge: one item per workflow from now
                # on, so the backlog never needs merging again until it drains.
                self._merged[workflow_id] = item
            elif len(self._queue) > self._max_pending:
                self._coalesce()
        self._wakeup.set()

    def push_burst(self, workflow_id: str, data: bytes) -> None:
        """Queue an initial burst; it supersedes anything queued for the workflow."""
        if self._closed:
            return
        self._drop_workflow(workflow_id)
        item = _Pending(workflow_id, data=data, burst=True)
        self._append(item)
        if self._behind:
            self._merged[workflow_id] = item
        self._wakeup.set()

    def _append(self, item: _Pending) -> None:
        self._queue[self._next] = item
        self._next += 1

    def _drop_workflow(self, workflow_id: str) -> None:
        for key in [k for k, item in self._queue.items() if item.workflow_id == workflow_id]:
            del self._queue[key]
        self._merged.pop(workflow_id, None)

    def _coalesce(self) -> None:
        """Merge every workflow's queued frames into one item per workflow."""
        self.coalesced += 1
        items = list(self._queue.values())
        self._queue.clear()
        order: dict[str, _Pending] = {}
        for item in items:
            current = order.get(item.workflow_id)
            if current is None:
                # The shared bytes stay until something merges into the item.
                if item.frame is None or item.burst:
                    # A burst can't merge: later changes make it a fresh burst.
                    order[item.workflow_id] = _Pending(item.workflow_id, data=item.data, burst=True)
                else:
                    order[item.workflow_id] = _Pending(item.workflow_id, data=item.data, frame=item.frame)
            else:
                if item.frame is None:
                    order[item.workflow_id] = _Pending(item.workflow_id, burst=True)
                else:
                    self._merge_into(current, item.frame)
        for item in order.values():
            self._append(item)
            self._merged[item.workflow_id] = item
        if not self._behind:
            self._behind = True
            log.info(
                "subscriber of %s fell behind: merged its backlog into %d frames",
                self._shared.name,
                len(order),
            )

    def _merge_into(self, item: _Pending, frame: DeltaFrame) -> None:
        # The item's shared bytes no longer say everything: render it afresh.
        item.data = None
        if item.burst:
            return  # a fresh burst, taken at read time, includes this change
        item.frame = frame if item.frame is None else merge_frames(item.frame, frame)
        if frame_size(item.frame) > self._max_merged:
            item.frame = None
            item.burst = True

    # -- consumer side --------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._queue:
                _, item = self._queue.popitem(last=False)
                if self._merged.get(item.workflow_id) is item:
                    del self._merged[item.workflow_id]
                if not self._queue:
                    self._behind = False
                data = self._render(item)
                if data is not None:
                    return data
                continue
            self._wakeup.clear()
            await self._wakeup.wait()

    def _render(self, item: _Pending) -> bytes | None:
        if item.data is not None:
            return item.data
        if item.burst:
            return self._shared.burst_bytes(item.workflow_id)
        assert item.frame is not None
        return self._shared.resolve(item.frame)

    async def aclose(self) -> None:
        """Detach from the subscription; further iteration ends."""
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.clear()
        self._merged.clear()
        self._wakeup.set()
        self._shared.detach(self)

    @property
    def pending(self) -> int:
        """Items queued (after merging)."""
        return len(self._queue)


class SharedSubscription:
    """Every operation with the same document and variables, served as one.

    Holds the sync demand its selection needs for each covered workflow,
    listens to the store, resolves each change once and fans the bytes out.
    """

    def __init__(
        self,
        hub: SubscriptionHub,
        key: SubscriptionKey,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        plan: SubscriptionPlan,
        finish: Finisher,
    ) -> None:
        self.hub = hub
        self.key = key
        self.document = document
        self.operation = operation
        self.variables = variables
        self.plan = plan
        self._finish = finish
        self.name = operation.name.value if operation.name else "<anonymous>"
        self.strip_null = document_strips_nulls(document, variables)
        #: The document compiled once for this subscription, or None where the
        #: compiled executor does not support it.
        self._compiled = hub.compiled_operation(key, document, variables)
        self.subscribers: set[Subscriber] = set()
        self._demands: dict[str, Demand] = {}
        self._versions: dict[str, int] = {}
        self._burst_cache: dict[str, tuple[int, bytes]] = {}
        self._unlisten: Callable[[], None] | None = None
        self._deferred: dict[str, DeltaFrame] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._last_sent: dict[str, float] = {}
        #: Number of times the document was resolved (shared or for one client).
        self.resolutions = 0

    @property
    def compiled(self) -> bool:
        """Whether frames are resolved by the compiled executor."""
        return self._compiled is not None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        self._unlisten = self.hub.store.listen(self._on_change)
        for workflow_id in self._initial_workflows():
            self._acquire(workflow_id)

    def _initial_workflows(self) -> list[str]:
        if self.plan.workflows is not None:
            return list(self.plan.workflows)
        return list(self.hub.store.replicas)

    def attach(self, max_pending: int, max_merged: int) -> Subscriber:
        """A new subscriber, with its initial burst queued."""
        subscriber = Subscriber(self, max_pending, max_merged)
        self.subscribers.add(subscriber)
        if self.plan.initial_burst:
            now = asyncio.get_running_loop().time()
            for workflow_id in self._covered_present():
                data = self.burst_bytes(workflow_id)
                if data is not None:
                    subscriber.push_burst(workflow_id, data)
                    # The burst counts as a frame for ignoreInterval pacing.
                    self._last_sent.setdefault(workflow_id, now)
        return subscriber

    def detach(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers:
            self.hub._forget(self)

    def stop(self) -> None:
        """Stop listening and release every demand."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        for demand in self._demands.values():
            demand.release()
        self._demands.clear()
        self._burst_cache.clear()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._deferred.clear()

    # -- demand ---------------------------------------------------------------

    def _acquire(self, workflow_id: str) -> None:
        if workflow_id not in self._demands and self.plan.level > Level.NONE:
            self._demands[workflow_id] = self.hub.sync.acquire(workflow_id, self.plan.level)

    def _release(self, workflow_id: str) -> None:
        demand = self._demands.pop(workflow_id, None)
        if demand is not None:
            demand.release()

    def covers(self, workflow_id: str) -> bool:
        return self.plan.workflows is None or workflow_id in self.plan.workflows

    def _covered_present(self) -> list[str]:
        replicas = self.hub.store.replicas
        if self.plan.workflows is None:
            return list(replicas)
        return [wid for wid in self.plan.workflows if wid in replicas]

    # -- changes --------------------------------------------------------------

    def _on_change(self, change: StoreChange) -> None:
        workflow_id = change.workflow_id
        if not self.covers(workflow_id):
            return
        self._versions[workflow_id] = self._versions.get(workflow_id, 0) + 1
        if change.reason == "removed":
            self._burst_cache.pop(workflow_id, None)
            if self.plan.workflows is None:
                self._release(workflow_id)
        elif self.plan.workflows is None:
            # Watching all workflows: one that just appeared is wanted too.
            self._acquire(workflow_id)
        if not self.subscribers or not self.plan.wants(change):
            return
        frame = DeltaFrame.from_change(change, self.hub.store.get(workflow_id))
        if self.plan.interval > 0:
            self._defer(frame)
        else:
            self._send(frame)

    def _send(self, frame: DeltaFrame) -> None:
        data = self.resolve(frame)
        if data is None:
            return
        for subscriber in tuple(self.subscribers):
            subscriber.push(frame.workflow_id, data, frame)

    def _defer(self, frame: DeltaFrame) -> None:
        """``ignoreInterval``: merge into the workflow's next frame, due at most
        once per interval (the reference drops these frames instead)."""
        workflow_id = frame.workflow_id
        pending = self._deferred.get(workflow_id)
        self._deferred[workflow_id] = frame if pending is None else merge_frames(pending, frame)
        if workflow_id in self._timers:
            return
        loop = asyncio.get_running_loop()
        due = self._last_sent.get(workflow_id, -self.plan.interval) + self.plan.interval
        self._timers[workflow_id] = loop.call_at(max(due, loop.time()), self._flush, workflow_id)

    def _flush(self, workflow_id: str) -> None:
        self._timers.pop(workflow_id, None)
        frame = self._deferred.pop(workflow_id, None)
        if frame is None or not self.subscribers:
            return
        self._last_sent[workflow_id] = asyncio.get_running_loop().time()
        self._send(frame)

    # -- resolution -----------------------------------------------------------

    def resolve(self, frame: DeltaFrame) -> bytes | None:
        """Execute the document against ``frame`` and encode the result.

        The compiled executor (graphql/fastexec.py) serves the documents it
        supports, with nulls stripped as it goes; graphql-core the rest.
        """
        self.resolutions += 1
        self.hub.resolutions += 1
        with collection_paused():
            data = self._resolve(frame)
        if data is not None and self.hub.heap is not None:
            self.hub.heap.note(len(data))
        return data

    def _resolve(self, frame: DeltaFrame) -> bytes | None:
        context = self.hub.make_context(self.strip_null)
        # The compiled executor's result goes straight to orjson, so its long
        # lists may be encoded as they resolve (graphql/encoding.py).
        context.encode_lists_over = ENCODE_LISTS_OVER
        try:
            if self._compiled is not None:
                try:
                    result = self._compiled.execute(frame, context, strip_nulls=self.strip_null)
                except NotSynchronous:
                    log.error("%s: a subscription resolver went async; using graphql-core", self.name)
                    self._compiled = None
                    self.hub.compiled_unsupported(self.key)
                else:
                    return encode_result(self._finish(result, context, stripped=True))
            result = execute(
                self.hub.schema,
                self.document,
                root_value=frame,
                context_value=context,
                variable_values=self.variables,
                operation_name=self.key.operation_name,
                is_awaitable=is_awaitable,
            )
        except Exception:
            log.exception("%s: resolving a frame of %s failed", self.name, frame.workflow_id)
            return None
        if not isinstance(result, ExecutionResult):
            # Subscription resolvers are synchronous; an awaitable means a
            # resolver went async by mistake.
            log.error("%s: subscription resolvers must not be async", self.name)
            close = getattr(result, "close", None)
            if close is not None:
                close()
            return None
        return encode_result(self._finish(result, context))

    def burst_bytes(self, workflow_id: str) -> bytes | None:
        """The initial burst of ``workflow_id``, shared while the replica is unchanged."""
        replica = self.hub.store.get(workflow_id)
        if replica is None:
            return None
        version = self._versions.get(workflow_id, 0)
        cached = self._burst_cache.get(workflow_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        data = self.resolve(DeltaFrame.burst(replica))
        if data is not None:
            self._burst_cache[workflow_id] = (version, data)
        return data


class SubscriptionHub:
    """Finds or creates the shared subscription for each new operation."""

    def __init__(
        self,
        schema: GraphQLSchema,
        store: Store,
        sync: SyncManager,
        make_context: Callable[[bool], ResolveContext],
        *,
        max_pending: int = 32,
        max_merged_elements: int = 50_000,
        heap: HeapTrimmer | None = None,
    ) -> None:
        self.schema = schema
        self.store = store
        self.sync = sync
        self.make_context = make_context
        self.max_pending = max_pending
        self.max_merged_elements = max_merged_elements
        #: Told the size of every encoded frame (uiserver/heap.py).
        self.heap = heap
        self.shared: dict[SubscriptionKey, SharedSubscription] = {}
        #: Recently compiled operations, so reopening a workspace skips compiling.
        self._compiled: OrderedDict[SubscriptionKey, CompiledOperation | None] = OrderedDict()
        #: Total resolutions across all subscriptions (fan-out is verified on it).
        self.resolutions = 0

    def subscribe(
        self,
        query: str,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        plan: SubscriptionPlan,
        finish: Finisher,
    ) -> Subscriber:
        """Join (or start) the shared subscription for this document and variables."""
        operation_name = operation.name.value if operation.name else None
        key = SubscriptionKey.of(query, operation_name, variables)
        shared = self.shared.get(key)
        if shared is None:
            shared = SharedSubscription(self, key, document, operation, variables, plan, finish)
            self.shared[key] = shared
            shared.start()
        return shared.attach(self.max_pending, self.max_merged_elements)

    #: Compiled operations kept for subscriptions that come back.
    COMPILED_CACHE: Final = 64

    def compiled_operation(
        self, key: SubscriptionKey, document: DocumentNode, variables: dict[str, Any]
    ) -> CompiledOperation | None:
        """The operation of ``key`` compiled (None: not supported), from the cache if recent."""
        if key in self._compiled:
            self._compiled.move_to_end(key)
            return self._compiled[key]
        compiled = compile_operation(self.schema, document, key.operation_name, variables)
        self._compiled[key] = compiled
        if len(self._compiled) > self.COMPILED_CACHE:
            self._compiled.popitem(last=False)
        return compiled

    def compiled_unsupported(self, key: SubscriptionKey) -> None:
        """Remember that ``key`` fell back to graphql-core, so it is not compiled again."""
        if key in self._compiled:
            self._compiled[key] = None

    def _forget(self, shared: SharedSubscription) -> None:
        if self.shared.get(shared.key) is shared:
            del self.shared[shared.key]
        shared.stop()

    def close(self) -> None:
        """End every subscription (server shutdown)."""
        for shared in list(self.shared.values()):
            for subscriber in tuple(shared.subscribers):
                subscriber.close()
            shared.stop()
        self.shared.clear()
