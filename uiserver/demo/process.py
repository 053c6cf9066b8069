"""Stop a scheduler that is not our child: signal it, await its exit, kill it if it hangs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import psutil

from ..workflows.contact import ContactInfo
from ..workflows.liveness import contact_is_stale

__all__ = ["kill_tagged", "stop_scheduler", "wait_exit"]

# How long to wait for a SIGKILLed process to go.
_KILL_WAIT = 5.0


async def _wait_exit_thread(pid: int, timeout: float) -> bool:
    # No pidfd (old kernel, non-Linux): psutil waits in a worker thread.
    def wait() -> bool:
        try:
            psutil.Process(pid).wait(timeout)
        except psutil.NoSuchProcess:
            return True
        except psutil.TimeoutExpired:
            return False
        return True

    return await asyncio.to_thread(wait)


async def wait_exit(pid: int, timeout: float) -> bool:
    """Whether process ``pid`` exits within ``timeout`` seconds.

    The scheduler daemonised, so it is nobody's child we could ``wait()``
    for; a pidfd becomes readable the moment the process ends.
    """
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    except (AttributeError, OSError):
        return await _wait_exit_thread(pid, timeout)
    loop = asyncio.get_running_loop()
    exited = loop.create_future()
    try:
        loop.add_reader(fd, lambda: exited.done() or exited.set_result(None))
    except NotImplementedError:
        os.close(fd)
        return await _wait_exit_thread(pid, timeout)
    try:
        async with asyncio.timeout(timeout):
            await exited
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)
        os.close(fd)


def _signal(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


async def stop_scheduler(contact: ContactInfo, timeout: float) -> str:
    """Stop the local scheduler that wrote ``contact``; say how it went.

    SIGTERM makes a Cylc scheduler shut down as ``cylc stop --now`` does
    (it removes its contact file), without starting another ``cylc``
    process. If it has not exited after ``timeout`` seconds, SIGKILL.

    :returns: ``"gone"`` (it was not running, or its PID now runs something
        else, which is left alone), ``"stopped"`` or ``"killed"``;
        ``"unkillable"`` if even SIGKILL did not end it within a few seconds.
    """
    pid = contact.pid
    stale = await asyncio.to_thread(contact_is_stale, contact)
    if pid is None or stale is not False:
        return "gone"
    if not _signal(pid, signal.SIGTERM):
        return "gone"
    if await wait_exit(pid, timeout):
        return "stopped"
    if not _signal(pid, signal.SIGKILL):
        return "stopped"
    return "killed" if await wait_exit(pid, _KILL_WAIT) else "unkillable"


def kill_tagged(variable: str, value: str) -> list[int]:
    """SIGKILL every process whose environment has ``variable=value``; their PIDs.

    The last resort for a ``cylc play`` interrupted while it daemonised: its
    scheduler may have escaped the process group before it wrote a contact
    file, but it keeps the environment it was started with. Blocking.
    """
    me = os.getpid()
    victims = []
    for process in psutil.process_iter():
        if process.pid == me:
            continue
        with contextlib.suppress(psutil.Error, OSError):
            if process.environ().get(variable) == value:
                process.kill()
                victims.append(process)
    with contextlib.suppress(psutil.Error, OSError):
        psutil.wait_procs(victims, timeout=_KILL_WAIT)
    return [process.pid for process in victims]
