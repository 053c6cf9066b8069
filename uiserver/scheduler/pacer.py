"""Wake the readers of many sockets together, at most once per window.

A server following hundreds of workflows for the sidebar gets a small
message from one of them every few milliseconds. Handling each as it
arrives wakes the process that often, and a wake-up that runs a little
Python after the CPU did something else runs it from cold caches: measured
here, one sidebar update cost ~350 µs of CPU alone and ~40 µs when handled
right after others (``benchmarks/notes.md``, "Reading the sidebar's
sockets in batches"). A :class:`ReadPacer` keeps its sockets' descriptors
in an epoll set of its own, which the event loop watches as one descriptor.
When any of them becomes readable it stops watching, waits ``window``
seconds, then calls back every descriptor that is readable by then, in one
pass. While passes find messages it keeps looking once per window; after a
pass that finds none it watches again. Nothing wakes the process between
passes, a quiet set costs nothing, and no message waits longer than the
window.
"""

from __future__ import annotations

import asyncio
import logging
import select
from collections.abc import Callable

__all__ = ["ReadPacer"]

log = logging.getLogger("uiserver.scheduler")

#: Whether this platform has epoll (Linux); elsewhere a pacer reads at once.
HAVE_EPOLL = hasattr(select, "epoll")


class ReadPacer:
    """Calls ``callback`` of each readable descriptor, batched per ``window``.

    With ``window <= 0`` (or without epoll) it is a plain ``add_reader``: each
    callback runs as soon as its descriptor is readable. Callbacks must make
    their descriptor unreadable (read it, or for a ZMQ socket read
    ``ZMQ_EVENTS``); one that does not is called again after the next window.
    Use from the event loop's thread only.
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._epoll: select.epoll | None = None
        self._watching = False
        self._timer: asyncio.TimerHandle | None = None
        #: Windows that ended in a pass over the readable descriptors (for tests and metrics).
        self.passes = 0

    @property
    def batched(self) -> bool:
        """Whether callbacks wait for the window (else they run at once)."""
        return self.window > 0 and HAVE_EPOLL

    def add(self, fd: int, callback: Callable[[], None]) -> None:
        """Call ``callback`` (with no arguments) whenever ``fd`` is readable."""
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("a ReadPacer serves one event loop")
        if fd in self._callbacks:
            raise ValueError(f"descriptor {fd} is already paced")
        if not self.batched:
            loop.add_reader(fd, callback)
            self._callbacks[fd] = callback
            return
        if self._epoll is None:
            self._epoll = select.epoll()
        self._epoll.register(fd, select.EPOLLIN)
        self._callbacks[fd] = callback
        if not self._watching and self._timer is None:
            self._watch()

    def remove(self, fd: int) -> None:
        """Stop calling back for ``fd``; call before closing it (its number is reused)."""
        if self._callbacks.pop(fd, None) is None:
            return
        if not self.batched:
            assert self._loop is not None
            self._loop.remove_reader(fd)
            return
        assert self._epoll is not None
        try:
            self._epoll.unregister(fd)
        except OSError:
            pass  # already closed: the kernel dropped it from the set
        if not self._callbacks:
            self._unwatch()

    def close(self) -> None:
        """Forget every descriptor and release the epoll set."""
        if not self.batched:
            for fd in list(self._callbacks):
                self.remove(fd)
        self._callbacks.clear()
        self._unwatch()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._epoll is not None:
            self._epoll.close()
            self._epoll = None

    def __len__(self) -> int:
        return len(self._callbacks)

    # -- the window -------------------------------------------------------------

    def _watch(self) -> None:
        assert self._loop is not None and self._epoll is not None
        self._loop.add_reader(self._epoll.fileno(), self._on_ready)
        self._watching = True

    def _unwatch(self) -> None:
        if self._watching and self._loop is not None and self._epoll is not None:
            self._loop.remove_reader(self._epoll.fileno())
        self._watching = False

    def _on_ready(self) -> None:
        # Some descriptor is readable: let the others catch up for a window.
        assert self._loop is not None
        self._unwatch()
        self._timer = self._loop.call_later(self.window, self._pass)

    def _pass(self) -> None:
        assert self._loop is not None
        self._timer = None
        if self._epoll is None:
            return
        self.passes += 1
        ready = self._epoll.poll(0, max(1, len(self._callbacks)))
        for fd, _events in ready:
            # Looked up at call time: an earlier callback may have removed it.
            callback = self._callbacks.get(fd)
            if callback is None:
                continue
            try:
                callback()
            except Exception:  # noqa: BLE001 - one reader must not starve the others
                log.exception("reader of descriptor %d failed", fd)
        if not self._callbacks or self._epoll is None:
            return
        if ready:
            # Busy: look again after a window rather than watching, which
            # would wake the process once more per window, at the first
            # message, only to start the timer.
            self._timer = self._loop.call_later(self.window, self._pass)
        else:
            self._watch()
