"""Run ``cylc`` subprocesses without blocking the event loop, bounded in time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["ProcessResult", "ProcessRunner", "ProcessTimeout"]

log = logging.getLogger("uiserver.commands")

# How long to wait for a killed process to be reaped.
_REAP_TIMEOUT = 5.0
# Keep at most this much of each output stream.
_MAX_OUTPUT = 64 * 1024


class ProcessTimeout(Exception):
    """The process did not exit in time and was killed with its process group."""


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """The exit status and output of a finished process."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _read(handle: BinaryIO) -> str:
    """The last ``_MAX_OUTPUT`` bytes written to ``handle``, decoded."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - _MAX_OUTPUT))
    return handle.read().decode("utf-8", "replace")


def _killpg(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class ProcessRunner:
    """Starts processes in their own process group and kills them on timeout or close."""

    def __init__(self) -> None:
        self._running: dict[asyncio.subprocess.Process, str] = {}
        self._closed = False

    @property
    def running(self) -> int:
        """How many processes are running now."""
        return len(self._running)

    async def run(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, timeout: float
    ) -> ProcessResult:
        """Run ``argv`` to completion and return its output.

        Output goes to temporary files, not pipes: ``cylc play`` daemonises,
        and a daemon that inherited a pipe would keep it open long after the
        command itself has exited.

        :raises FileNotFoundError / PermissionError: the executable is missing or not executable.
        :raises ProcessTimeout: it ran longer than ``timeout`` (its group was killed).
        :raises RuntimeError: the runner is closed.
        """
        if self._closed:
            raise RuntimeError("the command runner is closed")
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
            self._running[proc] = " ".join(argv)
            try:
                try:
                    async with asyncio.timeout(timeout):
                        returncode = await proc.wait()
                except TimeoutError:
                    raise ProcessTimeout(f"{argv[0]} timed out after {timeout:g} s") from None
            finally:
                if proc.returncode is None:
                    # Timed out or cancelled: the whole group goes.
                    _killpg(proc.pid)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(_REAP_TIMEOUT):
                            await proc.wait()
                self._running.pop(proc, None)
            return ProcessResult(tuple(argv), returncode, _read(out), _read(err))

    async def close(self) -> None:
        """Kill every running process group and wait (bounded) for them to exit."""
        self._closed = True
        procs = list(self._running.items())
        for proc, command in procs:
            if proc.returncode is None:
                log.info("Killing %r (pid %d): the server is stopping", command, proc.pid)
                _killpg(proc.pid)
        for proc, _ in procs:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_REAP_TIMEOUT):
                    await proc.wait()
