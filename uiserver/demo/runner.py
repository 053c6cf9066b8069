"""Start the demo workflow with the server and stop it with the server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from ..commands.options import CommandLineError, check_workflow_name
from ..commands.process import ProcessRunner, ProcessTimeout
from ..workflows.contact import ContactError, ContactInfo, read_contact_file
from ..workflows.liveness import contact_is_stale
from .files import install_workflow, is_demo_run, read_marker, server_marker, write_marker
from .process import kill_tagged, stop_scheduler

__all__ = ["HOLD_AT_START", "TAG_VARIABLE", "DemoError", "DemoRunner", "DemoState", "find_cylc"]

#: Tasks held as soon as a fresh demo run is up (workflow event handlers,
#: which could do it from flow.cylc, do not run in simulation mode).
HOLD_AT_START = ("1/publish",)

#: Set (to a random value per server) in the environment of the demo's
#: ``cylc`` commands, so every process they leave behind can be found.
TAG_VARIABLE = "UIS_DEMO_TAG"

DemoState = Literal["idle", "starting", "running", "shared", "refused", "failed", "stopped"]


class DemoError(Exception):
    """The demo cannot run; the message says why and what to do."""


def find_cylc(executable: str) -> str:
    """The ``cylc`` to run: ``executable`` if it is a path or on PATH, else
    the one installed next to this Python (the ``demo`` extra puts it there,
    but a venv's ``bin`` is often not on PATH)."""
    if os.sep in executable:
        return executable
    found = shutil.which(executable)
    if found:
        return found
    beside = Path(sys.executable).parent / executable
    return str(beside) if beside.is_file() else executable


def _running_contact(run: Path) -> ContactInfo | None:
    """The contact file of a live scheduler in ``run``, else None. Blocking."""
    try:
        contact = read_contact_file(run / ".service" / "contact")
    except ContactError:
        # Missing, or corrupt: a scheduler that died while writing it.
        return None
    # None (cannot tell, e.g. another host) counts as alive: never remove a
    # run that may still be in use.
    return None if contact_is_stale(contact) else contact


class DemoRunner:
    """Runs the packaged demo workflow under a real scheduler in simulation mode.

    :meth:`start` (in the background) puts the workflow in
    ``<run_dir>/<name>`` and plays it; a run that is still going is reused
    instead, and a stopped one is replaced by a fresh copy, so the demo
    always starts from cycle 1 with the packaged ``flow.cylc``. A directory
    there that the demo did not make is never touched. :meth:`stop` stops
    the scheduler if this server has the run (it started or adopted it).

    Args:
        run_dir: the Cylc run directory (``~/cylc-run``).
        name: the demo's workflow ID (a directory under ``run_dir``).
        cylc_executable: the ``cylc`` command (see :func:`find_cylc`).
        play_timeout: seconds ``cylc play`` may take to daemonise.
        command_timeout: seconds for the ``cylc hold`` after the start.
        stop_timeout: seconds the scheduler gets to shut down before SIGKILL.
        on_change: called when the demo has started or stopped (e.g. to rescan).
        env: the environment of the ``cylc`` commands (default: ours).
    """

    def __init__(
        self,
        run_dir: Path,
        name: str = "demo",
        *,
        cylc_executable: str = "cylc",
        play_timeout: float = 120.0,
        command_timeout: float = 30.0,
        stop_timeout: float = 30.0,
        on_change: Callable[[], None] | None = None,
        env: Mapping[str, str] | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.name = name
        self.cylc = find_cylc(cylc_executable)
        self.play_timeout = play_timeout
        self.command_timeout = command_timeout
        self.stop_timeout = stop_timeout
        self.on_change = on_change
        self.log = log or logging.getLogger("uiserver.demo")
        self.tag = uuid.uuid4().hex
        self.env = {**(os.environ if env is None else env), TAG_VARIABLE: self.tag}
        #: What the demo is doing; ``shared`` means another live server has it.
        self.state: DemoState = "idle"
        #: The scheduler's PID once the demo runs.
        self.scheduler_pid: int | None = None
        self._owned = False
        self._played = False
        self._processes = ProcessRunner()
        self._task: asyncio.Task[None] | None = None

    @property
    def path(self) -> Path:
        """The demo's run directory."""
        return self.run_dir / self.name

    @property
    def owned(self) -> bool:
        """Whether this server has the run and so stops its scheduler at :meth:`stop`."""
        return self._owned

    def start(self) -> None:
        """Start the demo in the background; :meth:`wait_started` awaits it."""
        if self._task is None:
            self.state = "starting"
            self._task = asyncio.create_task(self._start(), name="demo-start")

    async def wait_started(self) -> DemoState:
        """Wait for :meth:`start` to finish; the resulting :attr:`state`."""
        if self._task is not None:
            await asyncio.shield(self._task)
        return self.state

    async def _start(self) -> None:
        try:
            try:
                check_workflow_name(self.name)
            except CommandLineError:
                self.state = "refused"
                raise
            fresh = await asyncio.to_thread(self._prepare)
            if fresh:
                await self._play()
                await self._hold()
        except (DemoError, CommandLineError) as exc:
            if self.state != "refused":
                self.state = "failed"
            self.log.error("Demo workflow %s not started: %s", self.name, exc)
        except Exception:  # noqa: BLE001 - the server runs on without its demo
            self.state = "failed"
            self.log.exception("Demo workflow %s not started", self.name)
        finally:
            if self.on_change is not None:
                self.on_change()

    def _prepare(self) -> bool:
        """Reuse a running demo or lay out a fresh one; True if it needs playing. Blocking."""
        path = self.path
        if (path.exists() or path.is_symlink()) and not is_demo_run(path):
            self.state = "refused"
            raise DemoError(
                f"{path} exists and is not the demo's (it has no {path.name}/.uis-demo.json): "
                "it is left alone; pick another name with --CylcUIServer.demo_workflow=NAME"
            )
        contact = _running_contact(path) if path.exists() else None
        if contact is not None:
            self.scheduler_pid = contact.pid
            marker = read_marker(path)
            if marker is not None and marker.server_alive() and not marker.is_this_process():
                self.state = "shared"
                self.log.info(
                    "Demo workflow %s is already running for the UI server with pid %d: "
                    "using it (that server stops it)",
                    self.name,
                    marker.server_pid,
                )
                return False
            # Left running by a server that has gone: ours to stop now.
            write_marker(path, server_marker())
            self._owned = True
            self.state = "running"
            self.log.info(
                "Demo workflow %s is already running (scheduler pid %s): reusing it",
                self.name,
                contact.pid,
            )
            return False
        # Stopped (or never run): a fresh copy, not a restart, so the demo
        # always begins at cycle 1 with the flow.cylc of this version.
        install_workflow(path)
        write_marker(path, server_marker())
        self._owned = True
        return True

    async def _run(self, argv: list[str], timeout: float, what: str) -> str:
        try:
            result = await self._processes.run(argv, env=self.env, timeout=timeout)
        except FileNotFoundError:
            raise DemoError(
                f"{argv[0]} not found: install cylc-flow (pip install 'cylc-uis[demo]') "
                "or set --CylcUIServer.cylc_executable"
            ) from None
        except ProcessTimeout:
            raise DemoError(f"{what} took more than {timeout:g} s: {shlex.join(argv)}") from None
        if result.returncode != 0:
            output = (result.stderr.strip() or result.stdout.strip())[-2000:]
            raise DemoError(f"{what} failed ({result.returncode}): {output}")
        return result.stdout

    async def _play(self) -> None:
        argv = [self.cylc, "play", "--color=never", "--mode=simulation", self.name]
        self._played = True
        # ``cylc play`` returns once the daemonised scheduler is listening.
        await self._run(argv, self.play_timeout, "cylc play")
        contact = await asyncio.to_thread(_running_contact, self.path)
        self.scheduler_pid = contact.pid if contact is not None else None
        self.state = "running"
        self.log.info(
            "Demo workflow %s started in simulation mode (scheduler pid %s)",
            self.name,
            self.scheduler_pid,
        )

    async def _hold(self) -> None:
        # Not fatal: the demo is up, it only lacks its held task.
        targets = [f"{self.name}//{task}" for task in HOLD_AT_START]
        try:
            await self._run([self.cylc, "hold", *targets], self.command_timeout, "cylc hold")
        except DemoError as exc:
            self.log.warning("Demo workflow %s: could not hold %s: %s", self.name, targets, exc)

    async def stop(self) -> None:
        """Stop the demo's scheduler if this server has the run; bounded in time."""
        task, self._task = self._task, None
        interrupted = False
        if task is not None and not task.done():
            # Let a `cylc play` under way finish, so its scheduler can be stopped.
            await asyncio.wait({task}, timeout=self.stop_timeout)
            if not task.done():
                interrupted = True
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._processes.close()
        if not self._owned:
            return
        contact = await asyncio.to_thread(_running_contact, self.path)
        if contact is not None:
            outcome = await stop_scheduler(contact, self.stop_timeout)
            self.log.info(
                "Demo workflow %s: scheduler (pid %s) %s", self.name, contact.pid, outcome
            )
        if interrupted and self._played:
            killed = await asyncio.to_thread(kill_tagged, TAG_VARIABLE, self.tag)
            if killed:
                self.log.warning("Demo workflow %s: killed stray processes %s", self.name, killed)
        self.state = "stopped"
        if self.on_change is not None:
            self.on_change()
