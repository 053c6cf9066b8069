"""Demand-driven sync: connect to a scheduler only while someone wants its data."""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable

import zmq.asyncio

from ..scheduler.client import SchedulerClient
from ..scheduler.keys import load_keys
from ..scheduler.messages import PbWorkflow
from ..scheduler.pacer import ReadPacer
from ..store import Store, StoreChange, WorkflowReplica
from ..workflows import WorkflowEntry, WorkflowEvent, WorkflowRegistry
from .demand import Demand, Level
from .gate import ConnectGate
from .link import LinkState, WorkflowLink

__all__ = ["SyncManager"]

log = logging.getLogger("uiserver.sync")


class SyncManager:
    """Owns one :class:`WorkflowLink` per wanted workflow and the replicas' lifecycle.

    Demand is reference-counted per workflow and level (:meth:`acquire`). The
    wanted level of a workflow is the highest level anyone holds. Raising it
    takes effect at once; lowering it waits ``linger`` seconds, so a page
    reload does not tear down and rebuild the connection.

    It also turns registry events into store changes: a placeholder workflow
    for every discovered workflow, ``stopped`` status when a scheduler goes
    away, and the workflow's removal when its run directory does.
    """

    def __init__(
        self,
        registry: WorkflowRegistry,
        store: Store,
        *,
        context: zmq.asyncio.Context | None = None,
        request_timeout: float = 5.0,
        linger: float = 5.0,
        health_interval: float = 30.0,
        snapshot_timeout: float = 60.0,
        max_backoff: float = 30.0,
        request_idle_close: float | None = 10.0,
        connect_concurrency: int = 32,
        connect_hold: float = 2.0,
        summary_window: float = 0.05,
    ) -> None:
        self.registry = registry
        self.store = store
        self._own_context = context is None
        self.context = context or _new_context()
        self.request_timeout = request_timeout
        self.linger = linger
        self.health_interval = health_interval
        self.snapshot_timeout = snapshot_timeout
        self.max_backoff = max_backoff
        #: Seconds after which an unused REQ socket closes (None: never).
        self.request_idle_close = request_idle_close
        #: Sessions connecting and seeding at once (see ConnectGate).
        self.connect_gate = ConnectGate(connect_concurrency, connect_hold)
        #: Summary-level links read their SUB sockets through this, together
        #: once per ``summary_window`` seconds (see ReadPacer).
        self.summary_pacer = ReadPacer(summary_window)
        self.links: dict[str, WorkflowLink] = {}
        self._counts: dict[str, list[int]] = {}
        self._linger_timers: dict[str, asyncio.TimerHandle] = {}
        self._clients: dict[str, tuple[tuple, SchedulerClient]] = {}
        self._unlisten: Callable[[], None] | None = None

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        """Create replicas for what the registry knows and follow its events."""
        self._unlisten = self.registry.listen(self._on_registry_event)
        for entry in list(self.registry.entries.values()):
            self._add_placeholder(entry)

    async def stop(self) -> None:
        """Close every link and socket."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        for timer in self._linger_timers.values():
            timer.cancel()
        self._linger_timers.clear()
        await asyncio.gather(*(link.close() for link in self.links.values()))
        self.links.clear()
        self.summary_pacer.close()
        for _, client in self._clients.values():
            client.close()
        self._clients.clear()
        if self._own_context:
            self.context.destroy(linger=0)

    # -- demand --------------------------------------------------------------

    def acquire(self, workflow_id: str, level: Level) -> Demand:
        """Hold ``workflow_id`` at ``level`` until the returned demand is released.

        The workflow need not exist yet: the link starts when it appears.
        """
        if level <= Level.NONE:
            raise ValueError("acquire a workflow at SUMMARY or FULL level")
        counts = self._counts.setdefault(workflow_id, [0, 0, 0])
        counts[level] += 1
        self._update_level(workflow_id)
        return Demand(workflow_id, level, lambda: self._release(workflow_id, level))

    def _release(self, workflow_id: str, level: Level) -> None:
        counts = self._counts.get(workflow_id)
        if counts is None or counts[level] <= 0:
            log.error("%s: released more %s demand than acquired", workflow_id, level.name)
            return
        counts[level] -= 1
        self._update_level(workflow_id)

    def wanted(self, workflow_id: str) -> Level:
        """The highest level currently held for ``workflow_id``."""
        counts = self._counts.get(workflow_id)
        if counts:
            for level in (Level.FULL, Level.SUMMARY):
                if counts[level]:
                    return level
        return Level.NONE

    def _update_level(self, workflow_id: str) -> None:
        wanted = self.wanted(workflow_id)
        link = self.links.get(workflow_id)
        current = link.level if link is not None else Level.NONE
        timer = self._linger_timers.pop(workflow_id, None)
        if timer is not None:
            timer.cancel()
        if wanted >= current:
            self._apply_level(workflow_id, wanted)
        elif self.linger > 0:
            self._linger_timers[workflow_id] = asyncio.get_running_loop().call_later(
                self.linger, self._linger_expired, workflow_id
            )
        else:
            self._apply_level(workflow_id, wanted)

    def _linger_expired(self, workflow_id: str) -> None:
        self._linger_timers.pop(workflow_id, None)
        self._apply_level(workflow_id, self.wanted(workflow_id))

    def _apply_level(self, workflow_id: str, level: Level) -> None:
        link = self.links.get(workflow_id)
        if level == Level.NONE:
            if workflow_id in self._counts and not any(self._counts[workflow_id]):
                del self._counts[workflow_id]
            if link is not None:
                del self.links[workflow_id]
                asyncio.get_running_loop().create_task(self._retire(link))
            return
        if link is None:
            link = self.links[workflow_id] = WorkflowLink(self, workflow_id)
        if level < link.level:
            # Nobody needs the elements any more: free them now (reference #585).
            replica = self.store.get(workflow_id)
            if replica is not None:
                replica.clear_elements()
        link.set_level(level)

    async def _retire(self, link: WorkflowLink) -> None:
        await link.close()
        replica = self.store.get(link.workflow_id)
        if replica is not None:
            replica.clear_elements()

    async def wait_synced(self, workflow_id: str, level: Level, timeout: float) -> bool:
        """Wait until ``workflow_id`` is synced at ``level``; False if not in time
        (or the workflow is not running). The caller must hold a demand."""
        link = self.links.get(workflow_id)
        if link is None:
            return False
        return await link.wait_synced(level, timeout)

    def link_state(self, workflow_id: str) -> str:
        """The sync state of a workflow, for the UI (``idle`` when unwanted)."""
        link = self.links.get(workflow_id)
        return link.state if link is not None else LinkState.IDLE

    # -- commands ------------------------------------------------------------

    async def client(self, workflow_id: str) -> SchedulerClient | None:
        """A REQ client for a running workflow, or None if it is not running.

        Reuses the live session's client when there is one; otherwise keeps
        one per scheduler identity, closed when that scheduler goes away.

        :raises KeyLoadError: the workflow's keys cannot be read.
        """
        link = self.links.get(workflow_id)
        if link is not None and link.client is not None and not link.client.closed:
            return link.client
        entry = self.registry.get(workflow_id)
        if entry is None or not entry.running or entry.contact is None:
            return None
        cached = self._clients.get(workflow_id)
        if cached is not None and cached[0] == entry.contact.identity and not cached[1].closed:
            return cached[1]
        keys = await asyncio.to_thread(load_keys, entry.path / ".service")
        client = SchedulerClient(
            self.context,
            entry.contact.host,
            entry.contact.port,
            keys,
            timeout=self.request_timeout,
            idle_close=self.request_idle_close,
        )
        self._drop_client(workflow_id)
        self._clients[workflow_id] = (entry.contact.identity, client)
        return client

    def _drop_client(self, workflow_id: str) -> None:
        cached = self._clients.pop(workflow_id, None)
        if cached is not None:
            cached[1].close()

    # -- registry events -----------------------------------------------------

    def _on_registry_event(self, event: WorkflowEvent) -> None:
        entry = event.entry
        workflow_id = entry.id
        kind = event.kind
        if kind == "removed":
            self._drop_client(workflow_id)
            link = self.links.pop(workflow_id, None)
            if link is not None:
                asyncio.get_running_loop().create_task(link.close())
            if self.store.remove(workflow_id) is not None:
                self.store.emit(
                    StoreChange(
                        workflow_id=workflow_id,
                        added={},
                        updated={},
                        pruned={"workflow": [workflow_id]},
                        reloaded=False,
                        reason="removed",
                        time=time.time(),
                    )
                )
            return
        if kind == "added":
            self._add_placeholder(entry)
        elif kind == "new_run":
            self._drop_client(workflow_id)
            replica = self.store.ensure(workflow_id)
            replica.reset()
            replica.workflow.CopyFrom(_placeholder(entry))
            self.store.emit(
                StoreChange(
                    workflow_id=workflow_id,
                    added={"workflow": [replica.workflow]},
                    updated={},
                    pruned={},
                    reloaded=True,
                    reason="reset",
                    time=time.time(),
                )
            )
        elif kind == "stopped":
            self._drop_client(workflow_id)
            replica = self.store.get(workflow_id)
            if replica is not None:
                self.mark_stopped(replica, entry.status_msg)
        elif kind in ("started", "restarted"):
            self._drop_client(workflow_id)
            replica = self.store.get(workflow_id)
            link = self.links.get(workflow_id)
            if replica is not None and (link is None or link.synced_level == Level.NONE):
                self._update_contact_fields(replica, entry)
        link = self.links.get(workflow_id)
        if link is not None and kind in ("added", "started", "restarted", "new_run", "stopped"):
            link.restart()

    def _add_placeholder(self, entry: WorkflowEntry) -> None:
        if self.store.get(entry.id) is not None:
            return
        replica = self.store.ensure(entry.id)
        replica.workflow.CopyFrom(_placeholder(entry))
        self.store.emit(
            StoreChange(
                workflow_id=entry.id,
                added={"workflow": [replica.workflow]},
                updated={},
                pruned={},
                reloaded=False,
                reason="local",
                time=time.time(),
            )
        )

    def _update_contact_fields(self, replica: WorkflowReplica, entry: WorkflowEntry) -> None:
        update = _placeholder(entry)
        self.store.emit(replica.update_workflow(update))

    def mark_stopped(self, replica: WorkflowReplica, status_msg: str) -> None:
        """Record that the workflow's scheduler has gone (once, not per event)."""
        workflow = replica.workflow
        if workflow.status == "stopped" and workflow.status_msg == status_msg:
            return
        update = PbWorkflow(
            id=replica.workflow_id,
            status="stopped",
            status_msg=status_msg,
            host="",
            port=0,
            pub_port=0,
            api_version=0,
        )
        self.store.emit(replica.update_workflow(update))


def _placeholder(entry: WorkflowEntry) -> PbWorkflow:
    """What we know of a workflow without talking to its scheduler."""
    now = time.time()
    owner, _, _ = entry.id[1:].partition("/")
    workflow = PbWorkflow(
        id=entry.id,
        name=entry.name,
        owner=owner,
        stamp=f"{entry.id}@{now}",
        status="running" if entry.running else "stopped",
        status_msg=entry.status_msg,
    )
    if entry.running and entry.contact is not None:
        contact = entry.contact
        workflow.host = contact.host
        workflow.port = contact.port
        workflow.pub_port = contact.pub_port
        workflow.api_version = contact.api
        workflow.cylc_version = contact.cylc_version
    else:
        workflow.host = ""
        workflow.port = 0
        workflow.api_version = 0
    return workflow


def _new_context() -> zmq.asyncio.Context:
    """A ZMQ context allowed as many sockets as the process may open files.

    ZMQ's default of 1023 sockets per context would cap the server at a few
    hundred workflows; each socket also needs a file descriptor or two, so
    the open-files limit is the real bound (Jupyter Server raises it to at
    least 4096 where the hard limit allows).
    """
    context = zmq.asyncio.Context()
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return context
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 16
    context.set(zmq.MAX_SOCKETS, max(context.get(zmq.MAX_SOCKETS), min(soft, 1 << 20)))
    return context
