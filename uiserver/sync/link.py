"""One workflow's live link: keeps its replica in step with the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from ..scheduler.client import SchedulerClient
from ..scheduler.errors import RequestTimeout, SchedulerError
from ..scheduler.keys import load_keys
from ..scheduler.messages import AllDeltas, DecodeError, WDeltas
from ..scheduler.subscriber import SchedulerSubscriber
from ..store import StoreChange
from .demand import Level

if TYPE_CHECKING:
    from ..workflows import WorkflowEntry
    from .manager import SyncManager

__all__ = ["LinkState", "WorkflowLink"]

log = logging.getLogger("uiserver.sync")

_TOPICS = {
    Level.SUMMARY: {b"workflow", b"shutdown"},
    Level.FULL: {b"all", b"shutdown"},
}


class LinkState:
    """Values of :attr:`WorkflowLink.state`."""

    IDLE = "idle"  # nobody wants it
    CONNECTING = "connecting"  # sockets open, seeding
    SYNCED = "synced"  # replica follows the scheduler at `synced_level`
    UNRESPONSIVE = "unresponsive"  # connected but the scheduler stopped answering
    STOPPED = "stopped"  # wanted, but the workflow is not running
    ERROR = "error"  # the last session failed; retrying with backoff


class _Reseed(Exception):
    """Internal: the replica can't be trusted; take a fresh snapshot."""


class WorkflowLink:
    """Runs sessions with one scheduler while some demand wants the workflow.

    A *session* opens a SUB socket (subscribing first), a REQ client, seeds the
    replica from a snapshot and then applies every published batch. It ends on
    the ``shutdown`` topic, on an error, or when cancelled because the wanted
    level or the scheduler's identity changed; the supervisor then starts the
    next session as appropriate. All waiting is on sockets or events: nothing
    here polls.
    """

    def __init__(self, manager: SyncManager, workflow_id: str) -> None:
        self.manager = manager
        self.workflow_id = workflow_id
        self.level = Level.NONE
        self.state = LinkState.IDLE
        self.synced_level = Level.NONE
        self.error: str | None = None
        #: The REQ client of the running session, if any (reused for commands).
        self.client: SchedulerClient | None = None
        #: Counters for tests and metrics.
        self.sessions = 0
        self.batches = 0
        self.resyncs = 0
        self._wake = asyncio.Event()
        self._synced = asyncio.Condition()
        self._task: asyncio.Task | None = None
        self._shutdown_identity: tuple | None = None
        self._last_error_logged: str | None = None
        # last_updated the scheduler reported ahead of us at the last check.
        self._drift: float | None = None

    # -- control (called by the manager) -------------------------------------

    def set_level(self, level: Level) -> None:
        """Change the wanted level; starts, restarts or ends sessions as needed."""
        if level == self.level:
            return
        self.level = level
        self._wake.set()
        if level > Level.NONE and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._supervise(), name=f"link {self.workflow_id}")
            self._task.add_done_callback(self._task_done)

    def restart(self, *, new_identity: bool = True) -> None:
        """End the current session and reconnect (new PID, port or run)."""
        if new_identity:
            self._shutdown_identity = None
        self._wake.set()

    async def close(self) -> None:
        """Stop everything at once and wait for the sockets to close."""
        self.level = Level.NONE
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.state = LinkState.IDLE

    async def wait_synced(self, level: Level, timeout: float) -> bool:
        """Wait until the replica is synced at ``level`` or higher; False on timeout."""
        async with self._synced:
            try:
                async with asyncio.timeout(timeout):
                    await self._synced.wait_for(
                        lambda: self.synced_level >= level or self.state == LinkState.STOPPED
                    )
            except TimeoutError:
                return False
        return self.synced_level >= level

    # -- supervisor ----------------------------------------------------------

    def _task_done(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: link supervisor died", self.workflow_id, exc_info=task.exception())

    async def _supervise(self) -> None:
        backoff = 0.5
        while self.level > Level.NONE:
            self._wake.clear()
            entry = self.manager.registry.get(self.workflow_id)
            contact = entry.contact if entry is not None and entry.running else None
            if contact is None or contact.identity == self._shutdown_identity:
                await self._set_state(LinkState.STOPPED)
                await self._wake.wait()
                continue
            session = asyncio.create_task(self._session(entry, self.level))
            woken = asyncio.create_task(self._wake.wait())
            try:
                await asyncio.wait({session, woken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                woken.cancel()
                if not session.done():
                    session.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await session
            if session.cancelled():
                backoff = 0.5
                continue
            exc = session.exception()
            if exc is None:
                backoff = 0.5
                continue
            self.error = str(exc) or type(exc).__name__
            if self.error != self._last_error_logged:
                # Log a repeating failure once, not every retry (reference #564).
                log.warning("%s: %s; retrying", self.workflow_id, self.error)
                self._last_error_logged = self.error
            await self._set_state(LinkState.ERROR)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff):
                    await self._wake.wait()
            backoff = min(backoff * 2, self.manager.max_backoff)

    async def _set_state(self, state: str, synced_level: Level = Level.NONE) -> None:
        self.state = state
        self.synced_level = synced_level
        async with self._synced:
            self._synced.notify_all()

    # -- session -------------------------------------------------------------

    async def _session(self, entry: WorkflowEntry, level: Level) -> None:
        manager = self.manager
        contact = entry.contact
        assert contact is not None
        self.sessions += 1
        await self._set_state(LinkState.CONNECTING)
        # Released once seeded: the gate bounds the connect-and-seed stretch only.
        slot = await manager.connect_gate.enter()
        sub: SchedulerSubscriber | None = None
        client: SchedulerClient | None = None
        try:
            keys = await asyncio.to_thread(load_keys, entry.path / ".service")
            sub = SchedulerSubscriber(
                manager.context,
                contact.host,
                contact.pub_port,
                keys,
                _TOPICS[level],
                # The sidebar can wait a moment; a workspace is read at once.
                pacer=manager.summary_pacer if level == Level.SUMMARY else None,
            )
            client = self.client = SchedulerClient(
                manager.context,
                contact.host,
                contact.port,
                keys,
                timeout=manager.request_timeout,
                idle_close=manager.request_idle_close,
            )
            await sub.wait_connected(manager.request_timeout)
            await self._seed(client, level)
            if level == Level.SUMMARY:
                # A summary link asks again only after a silence of
                # health_interval: keeping the REQ socket until then would
                # hold it for nothing (and through the whole sidebar burst).
                client.close_idle()
            slot.release()
            self.error = None
            self._last_error_logged = None
            await self._set_state(LinkState.SYNCED, level)
            if level == Level.SUMMARY:
                # Hundreds of sidebar workflows: their batches are applied
                # inside the pacer's pass, not one task switch each.
                sub.handle_at_once(self._apply_at_once)
            check_after = manager.health_interval
            while True:
                try:
                    topic, payload = await sub.recv(check_after)
                except TimeoutError:
                    check_after = await self._health_check(client, level)
                    continue
                if self.state != LinkState.SYNCED:
                    await self._set_state(LinkState.SYNCED, level)
                check_after = manager.health_interval
                if topic == b"shutdown":
                    self._on_shutdown(payload, contact.identity)
                    return
                try:
                    await self._on_message(client, topic, payload)
                except _Reseed as why:
                    log.info("%s: %s; taking a fresh snapshot", self.workflow_id, why)
                    await self._seed(client, level)
        finally:
            slot.release()
            self.client = None
            if client is not None:
                client.close()
            if sub is not None:
                sub.close()
            if self.state in (LinkState.SYNCED, LinkState.CONNECTING, LinkState.UNRESPONSIVE):
                await self._set_state(LinkState.IDLE)

    async def _seed(self, client: SchedulerClient, level: Level) -> None:
        """Load the replica from a snapshot, retrying through the startup window."""
        manager = self.manager
        replica = manager.store.ensure(self.workflow_id)
        deadline = time.monotonic() + manager.snapshot_timeout
        delay = 0.05
        while True:
            if level == Level.FULL:
                entire = await client.entire_workflow()
                ready = entire.workflow.id
            else:
                wdeltas = await client.data_elements("workflow")
                ready = wdeltas.added.id
            if ready:
                break
            # Right after the contact file appears the data store can be empty
            # (protocol §3.6): not an error, just too early.
            if time.monotonic() + delay > deadline:
                raise SchedulerError(
                    f"scheduler data not ready after {manager.snapshot_timeout:g}s"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        if level == Level.FULL:
            change = replica.load_snapshot(entire)
        else:
            replica.clear_elements()
            change = replica.load_workflow(wdeltas)
        manager.store.emit(change)

    async def _on_message(self, client: SchedulerClient, topic: bytes, payload: bytes) -> None:
        if topic == b"workflow":
            if not self._apply_workflow(payload):
                raise _Reseed("corrupt WDeltas message")
            return
        if topic != b"all":
            log.debug("%s: ignoring topic %r", self.workflow_id, topic[:40])
            return
        deltas = AllDeltas()
        try:
            deltas.ParseFromString(payload)
        except DecodeError:
            raise _Reseed("corrupt AllDeltas message") from None
        replica = self.manager.store.ensure(self.workflow_id)
        change, mismatched = replica.apply(deltas)
        self._applied(change)
        for type_name in mismatched:
            # Only that type is re-fetched (protocol §6.4); the repair goes out
            # to subscribers as added/pruned so browsers don't drift.
            self.resyncs += 1
            log.info("%s: %s checksum mismatch; resyncing", self.workflow_id, type_name)
            reply = await client.data_elements(type_name)
            self.manager.store.emit(replica.resync_type(type_name, reply))

    def _apply_workflow(self, payload: bytes) -> bool:
        """Apply a ``workflow`` topic message (summary level); False if it is corrupt."""
        wdeltas = WDeltas()
        try:
            wdeltas.ParseFromString(payload)
        except DecodeError:
            return False
        self._applied(self.manager.store.ensure(self.workflow_id).apply_workflow_deltas(wdeltas))
        return True

    def _applied(self, change: StoreChange | None) -> None:
        """Count a batch applied to the replica and pass its change on (if any)."""
        self.batches += 1
        if change is not None:
            self.manager.store.emit(change)

    def _apply_at_once(self, topic: bytes, payload: bytes) -> bool:
        """The subscriber's handler at summary level: a well-formed ``workflow``
        message while synced is applied here; anything else goes to the session."""
        if topic != b"workflow" or self.state != LinkState.SYNCED:
            return False
        return self._apply_workflow(payload)

    async def _health_check(self, client: SchedulerClient, level: Level) -> float:
        """After a silence, ask the scheduler how current it is.

        Returns how long to wait before the next check. A scheduler that does
        not answer is reported as unresponsive and the registry is asked to
        rescan (a dead local scheduler is then found by its stale contact file).
        """
        manager = self.manager
        replica = manager.store.ensure(self.workflow_id)
        try:
            reply = await client.data_elements("workflow")
        except RequestTimeout:
            if self.state != LinkState.UNRESPONSIVE:
                log.warning("%s: scheduler not answering", self.workflow_id)
                await self._set_state(LinkState.UNRESPONSIVE, level)
            manager.registry.request_scan()
            return manager.health_interval
        if self.state == LinkState.UNRESPONSIVE:
            await self._set_state(LinkState.SYNCED, level)
        theirs = reply.added.last_updated
        ours = replica.workflow.last_updated
        if theirs <= ours:
            return manager.health_interval
        # A batch may be on its way (the scheduler answers requests before it
        # publishes); only a second check that still sees drift means loss.
        if self._drift == theirs or theirs - ours > manager.health_interval:
            self._drift = None
            log.info("%s: replica behind the scheduler; resyncing", self.workflow_id)
            self.resyncs += 1
            await self._seed(client, level)
            return manager.health_interval
        self._drift = theirs
        return min(2.0, manager.health_interval)

    def _on_shutdown(self, payload: bytes, identity: tuple) -> None:
        reason = payload.decode("utf-8", "replace")
        log.info("%s: scheduler shut down (%s)", self.workflow_id, reason)
        self._shutdown_identity = identity
        manager = self.manager
        replica = manager.store.ensure(self.workflow_id)
        manager.store.emit(
            StoreChange(
                workflow_id=self.workflow_id,
                added={},
                updated={},
                pruned={},
                reloaded=False,
                shutdown=True,
                reason="shutdown",
                time=time.time(),
            )
        )
        manager.mark_stopped(replica, "stopped")
        # The contact file goes away just after the shutdown message.
        asyncio.get_running_loop().call_later(0.5, manager.registry.request_scan)
