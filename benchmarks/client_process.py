"""A benchmark client in a process of its own, as each browser tab is.

In one process, ten clients share one event loop: while one parses and merges
a 2 MB frame, the others' frames wait unread in the kernel and are stamped
late, which puts the benchmark's own parsing into the UI server's latency.
:class:`RemoteClient` runs a :class:`~benchmarks.client.BenchClient` in a
child process (``python -m benchmarks.client_process``) and mirrors what it
records, so :mod:`benchmarks.run` reads either kind the same way.

The child stamps frames with ``time.time()`` (one clock for every process on
the machine) and reports each over its stdout as one JSON line; it is told
what to do over its stdin, and exits when that closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sys
from typing import Any

from benchmarks.client import BenchClient, ClientStore, Frame, pause_collector, record_frame

__all__ = ["RemoteClient"]

#: Room for the one large line: the client's whole store at the end.
LINE_LIMIT = 1 << 30


class RemoteClient:
    """A :class:`BenchClient` in a child process, with the same attributes."""

    def __init__(self, label: str, url: str, token: str, query: str,
                 variables: dict[str, Any], operation_name: str) -> None:
        self.label = label
        self.variables = variables
        self._spec = {
            "label": label, "url": url, "token": token, "query": query,
            "variables": variables, "operation_name": operation_name,
        }
        self.frames: list[Frame] = []
        self.store = ClientStore()  # filled by fetch_store()
        self.t_start: float | None = None
        self.other_messages: list[dict[str, Any]] = []
        self.closed = False
        self.first_frame = asyncio.Event()
        self.first_tasks = asyncio.Event()
        self.activity = asyncio.Event()
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._replies: dict[str, asyncio.Future] = {}

    async def connect(self, timeout: float = 30.0) -> None:
        """Start the child and open its websocket (nothing sent yet).

        Kept apart from :meth:`start` so that starting interpreters does not
        spread out the clients' subscriptions.
        """
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.client_process",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=LINE_LIMIT,
        )
        self._reader = asyncio.create_task(self._read())
        await self._ask({"cmd": "connect", "timeout": timeout, **self._spec}, "connected", timeout + 30)

    async def start(self, timeout: float = 30.0) -> None:
        """Subscribe; return once the child has sent ``start`` (its ``t_start``)."""
        if self._process is None:
            await self.connect(timeout)
        reply = await self._ask({"cmd": "start", "timeout": timeout}, "started", timeout + 30)
        self.t_start = reply["t_start"]

    async def fetch_store(self, timeout: float = 120.0) -> None:
        """Copy the child's merged store here (for the correctness check)."""
        reply = await self._ask({"cmd": "store"}, "store", timeout)
        self.store.workflows = reply["workflows"]
        self.store.elements = reply["elements"]

    async def close(self) -> None:
        process = self._process
        if process is None:
            return
        with contextlib.suppress(Exception):
            await self._ask({"cmd": "close"}, "bye", 10)
        with contextlib.suppress(Exception):
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _ask(self, command: dict[str, Any], reply: str, timeout: float) -> dict[str, Any]:
        assert self._process is not None and self._process.stdin is not None
        future = asyncio.get_running_loop().create_future()
        self._replies[reply] = future
        self._process.stdin.write(json.dumps(command).encode() + b"\n")
        await self._process.stdin.drain()
        return await asyncio.wait_for(future, timeout)

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        try:
            async for line in self._process.stdout:
                event = json.loads(line)
                kind = event.pop("event")
                if kind == "frame":
                    record_frame(self, Frame(**event))
                elif kind == "other":
                    self.other_messages.append(event["message"])
                elif kind == "error":
                    for future in self._replies.values():
                        if not future.done():
                            future.set_exception(RuntimeError(f"{self.label}: {event['error']}"))
                else:
                    future = self._replies.pop(kind, None)
                    if future is not None and not future.done():
                        future.set_result(event)
        finally:
            self.closed = True
            self.activity.set()
            for future in self._replies.values():
                if not future.done():
                    future.set_exception(RuntimeError(f"{self.label}: the client process ended"))


# ---------------------------------------------------------------------------
# The child
# ---------------------------------------------------------------------------


def _emit(event: str, **fields: Any) -> None:
    sys.stdout.buffer.write(json.dumps({"event": event, **fields}).encode() + b"\n")
    sys.stdout.buffer.flush()


def _record(item: Frame | dict[str, Any]) -> None:
    if isinstance(item, Frame):
        _emit("frame", **dataclasses.asdict(item))
    else:
        _emit("other", message=item)


async def _child() -> None:
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    client: BenchClient | None = None
    try:
        async for line in commands:
            command = json.loads(line)
            cmd = command.pop("cmd")
            try:
                if cmd == "connect":
                    timeout = command.pop("timeout")
                    client = BenchClient(**command, on_record=_record)
                    await client.connect(timeout)
                    _emit("connected")
                elif cmd == "start":
                    assert client is not None
                    await client.start(command["timeout"])
                    _emit("started", t_start=client.t_start)
                elif cmd == "store":
                    assert client is not None
                    _emit("store", workflows=client.store.workflows, elements=client.store.elements)
                elif cmd == "close":
                    if client is not None:
                        await client.close()
                    _emit("bye")
                    return
            except Exception as exc:  # reported to the parent, which raises it
                _emit("error", error=repr(exc))
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()


if __name__ == "__main__":
    pause_collector()  # as in the parent: see benchmarks.client.pause_collector
    asyncio.run(_child())
