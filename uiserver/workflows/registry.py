"""The set of workflows under the run dir, rescanned periodically, with change events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from .contact import ContactInfo
from .liveness import LivenessChecker
from .scan import FoundWorkflow, ScanMemo, scan_run_dir

__all__ = ["EventKind", "WorkflowEntry", "WorkflowEvent", "WorkflowRegistry", "diff_entries"]

EventKind = Literal["added", "removed", "started", "stopped", "restarted", "new_run", "changed"]

STATUS_RUNNING = "running"
STATUS_STOPPED = "stopped"
STATUS_NOT_YET_RUN = "not yet run"


@dataclass(frozen=True, slots=True)
class WorkflowEntry:
    """What the registry knows about one workflow."""

    #: ``~<owner>/<name>``.
    id: str
    name: str
    path: Path
    running: bool
    #: The contact data; only set when ``running``.
    contact: ContactInfo | None
    #: ``running``, ``stopped`` (it has a ``.service/db``) or ``not yet run``.
    status_msg: str
    #: Why a contact file was ignored (invalid or stale), else None.
    problem: str | None


@dataclass(frozen=True, slots=True)
class WorkflowEvent:
    """A change to one workflow between two scans.

    ``previous`` is the entry before the change (None for ``added``); for
    ``removed``, ``entry`` and ``previous`` are both the last known entry.
    """

    kind: EventKind
    entry: WorkflowEntry
    previous: WorkflowEntry | None


def _entry(owner: str, found: FoundWorkflow, stale: bool | None) -> WorkflowEntry:
    """Turn a scan result (and its liveness verdict) into a registry entry."""
    contact = found.contact
    problem = found.contact_error
    if contact is not None and stale:
        problem = (
            f"stale contact file: scheduler process {contact.pid} on {contact.host} is gone "
            "(it probably crashed; 'cylc play' will clean up the contact file)"
        )
        contact = None
    if contact is not None:
        status = STATUS_RUNNING
    else:
        status = STATUS_STOPPED if found.has_db else STATUS_NOT_YET_RUN
    return WorkflowEntry(
        id=f"~{owner}/{found.name}",
        name=found.name,
        path=found.path,
        running=contact is not None,
        contact=contact,
        status_msg=status,
        problem=problem,
    )


def _change(old: WorkflowEntry, new: WorkflowEntry) -> EventKind | None:
    """Classify how a workflow changed between two scans (None: it did not)."""
    if old.contact is not None and new.contact is not None:
        if old.contact.uuid != new.contact.uuid:
            return "new_run"
        if old.contact.identity != new.contact.identity:
            return "restarted"
    elif new.running:
        return "started"
    elif old.running:
        return "stopped"
    elif old.status_msg == STATUS_STOPPED and new.status_msg == STATUS_NOT_YET_RUN:
        # The DB went away: re-installed (or cleaned) since it last ran.
        return "new_run"
    return None if old == new else "changed"


def diff_entries(
    old: Mapping[str, WorkflowEntry], new: Mapping[str, WorkflowEntry]
) -> list[WorkflowEvent]:
    """The events that turn ``old`` into ``new``, at most one per workflow, sorted by id."""
    events: list[WorkflowEvent] = []
    for wid in sorted(old.keys() | new.keys()):
        before, after = old.get(wid), new.get(wid)
        if before is None and after is not None:
            events.append(WorkflowEvent("added", after, None))
        elif after is None and before is not None:
            events.append(WorkflowEvent("removed", before, before))
        elif before is not None and after is not None:
            kind = _change(before, after)
            if kind is not None:
                events.append(WorkflowEvent(kind, after, before))
    return events


class WorkflowRegistry:
    """Known workflows under ``run_dir``, kept up to date by scanning.

    Scans run in a dedicated worker thread, never overlap, and happen every
    ``scan_interval`` seconds after the last one (or only on request if
    ``scan_interval <= 0``). Listeners get a :class:`WorkflowEvent` for each
    change, after :attr:`entries` has been updated.
    """

    def __init__(
        self,
        run_dir: Path,
        owner: str,
        *,
        max_depth: int = 4,
        scan_interval: float = 5.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.owner = owner
        self.max_depth = max_depth
        self.scan_interval = scan_interval
        self.log = log or logging.getLogger(__name__)
        #: Number of scans completed so far.
        self.scan_count = 0
        self._entries: dict[str, WorkflowEntry] = {}
        self._listeners: list[Callable[[WorkflowEvent], None]] = []
        # The scan that callers arriving now will share; created on demand and
        # taken (set to None) by the runner the moment that scan starts.
        self._next: asyncio.Future[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._periodic: asyncio.Task[None] | None = None
        # Set after every scan so the periodic timer restarts from the latest one.
        self._scanned = asyncio.Event()
        self._executor: ThreadPoolExecutor | None = None
        self._root_error: str | None = None
        # Used by the scan thread only.
        self._liveness = LivenessChecker()
        # Only the worker thread touches it (one scan at a time).
        self._scan_memo: ScanMemo = {}

    @property
    def entries(self) -> Mapping[str, WorkflowEntry]:
        """All known workflows by id (a read-only snapshot of the latest scan)."""
        return MappingProxyType(self._entries)

    def get(self, workflow_id: str) -> WorkflowEntry | None:
        """The entry for ``workflow_id`` (``~owner/name``), if known."""
        return self._entries.get(workflow_id)

    def listen(self, callback: Callable[[WorkflowEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for every future event; returns a function that unsubscribes."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return unsubscribe

    async def start(self) -> None:
        """Scan once, then keep scanning in the background."""
        await self.scan()
        if self.scan_interval > 0 and (self._periodic is None or self._periodic.done()):
            self._periodic = asyncio.create_task(self._scan_periodically(), name="workflow-scan")

    async def stop(self) -> None:
        """Stop scanning; safe to call more than once."""
        # A listener may call stop() from inside the runner: don't await ourselves.
        current = asyncio.current_task()
        tasks = [t for t in (self._periodic, self._runner) if t is not None and t is not current]
        self._periodic = self._runner = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._next is not None:
            self._next.cancel()
            self._next = None
        if self._executor is not None:
            # A scan stuck on a hung filesystem must not block shutdown.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def scan(self) -> None:
        """Scan now and return once a scan that started after this call has finished."""
        # Shielded: one impatient caller must not cancel the scan others share.
        await asyncio.shield(self._request())

    def request_scan(self) -> None:
        """Ask for a scan soon, without waiting for it."""
        self._request()

    def _request(self) -> asyncio.Future[None]:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run_scans(), name="workflow-scan-runner")
        return self._next

    async def _run_scans(self) -> None:
        """Run queued scans one after another until none is pending."""
        while self._next is not None:
            waiters, self._next = self._next, None
            try:
                await self._scan_once()
            except asyncio.CancelledError:
                waiters.cancel()
                raise
            except Exception:  # noqa: BLE001 - keep scanning whatever went wrong
                self.log.exception("Workflow scan of %s failed", self.run_dir)
            if not waiters.done():
                waiters.set_result(None)
            self._scanned.set()

    async def _scan_periodically(self) -> None:
        while True:
            self._scanned.clear()
            try:
                await asyncio.wait_for(self._scanned.wait(), self.scan_interval)
            except TimeoutError:
                await self.scan()

    async def _scan_once(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="workflow-scan")
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._executor, self._collect)
        except OSError as exc:
            # The run dir itself is unreadable: keep what we know rather than
            # reporting every workflow as removed; say so once.
            message = f"cannot scan {self.run_dir}: {exc}"
            if message != self._root_error:
                self.log.warning("%s", message)
            self._root_error = message
            return
        self._root_error = None
        new = {}
        for found, stale in results:
            entry = _entry(self.owner, found, stale)
            new[entry.id] = entry
        self._apply(new)
        self.scan_count += 1

    def _collect(self) -> list[tuple[FoundWorkflow, bool | None]]:
        """Scan the run dir and check liveness; runs in the worker thread."""
        try:
            # Unlike scan_run_dir, tell "absent" (nothing to report) from
            # "unreadable" (raise, so the scan is abandoned).
            os.listdir(self.run_dir)
        except (FileNotFoundError, NotADirectoryError):
            return []
        results = []
        for found in scan_run_dir(self.run_dir, self.max_depth, self._scan_memo):
            stale = self._liveness.is_stale(found.contact) if found.contact is not None else None
            results.append((found, stale))
        self._liveness.retain(f.contact for f, _ in results if f.contact is not None)
        return results

    def _apply(self, new: dict[str, WorkflowEntry]) -> None:
        """Install ``new`` as the current entries, then log problems and notify."""
        old, self._entries = self._entries, new
        for wid, entry in new.items():
            before = old.get(wid)
            if entry.problem and (before is None or before.problem != entry.problem):
                self.log.warning("Workflow %s: %s", wid, entry.problem)
            elif before is not None and before.problem and not entry.problem:
                self.log.info("Workflow %s: problem resolved", wid)
        for event in diff_entries(old, new):
            for callback in list(self._listeners):
                try:
                    callback(event)
                except Exception:  # noqa: BLE001 - one bad listener must not starve others
                    self.log.exception("Workflow event listener %r failed on %s", callback, event)
