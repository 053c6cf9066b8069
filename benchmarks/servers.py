"""Start, watch and stop the two UI servers as separate processes.

Both run from their own virtualenv with the harness's environment (same
HOME, hence the same ``~/cylc-run`` and global config), a random token,
``--ip=127.0.0.1`` and a free port. Readiness is read from the server's own
log ("is running at"), not polled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

__all__ = [
    "SERVERS", "ServerSpec", "RunningServer", "ProcessMonitor", "free_port", "measure_idle", "start_server",
]

REPO = Path(__file__).resolve().parent.parent
READY = re.compile(r"is running at|Jupyter Server .* is running")


@dataclass(frozen=True)
class ServerSpec:
    """How to launch one server kind."""

    name: str
    venv: Path
    argv: tuple[str, ...]

    @property
    def bin_dir(self) -> Path:
        return self.venv / "bin"


SERVERS: dict[str, ServerSpec] = {
    "ours": ServerSpec("ours", REPO / ".venv", ("jupyter-cylc",)),
    # `cylc gui` without `--new` would reuse any other gui found on disk.
    "reference": ServerSpec("reference", REPO / "benchmarks" / ".venv-ref", ("jupyter-cylc", "--new")),
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProcessMonitor:
    """Samples CPU time and RSS of a process and its children in a thread.

    CPU is read as totals at the edges of a window, so sampling only matters
    for the RSS peak (every ``interval`` seconds).
    """

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self._peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"monitor-{pid}", daemon=True)
        self._thread.start()

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self.process, *self.process.children(recursive=True)]
        except psutil.Error:
            return []

    def rss(self) -> int:
        """Resident bytes of the process tree now."""
        total = 0
        for proc in self._tree():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the tree (reaped children included)."""
        total = 0.0
        for index, proc in enumerate(self._tree()):
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
                if index == 0:
                    total += times.children_user + times.children_system
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            value = self.rss()
            with self._lock:
                self._peak = max(self._peak, value)

    def take_peak(self) -> int:
        """The RSS peak since the last call (then reset to the current RSS)."""
        now = self.rss()
        with self._lock:
            peak, self._peak = max(self._peak, now), now
        return peak

    def threads(self) -> int:
        with contextlib.suppress(psutil.Error):
            return self.process.num_threads()
        return 0

    def tcp_peers(self, ports: set[int]) -> int:
        """Established TCP connections from the tree to any of ``ports``."""
        count = 0
        for proc in self._tree():
            with contextlib.suppress(psutil.Error):
                for conn in proc.net_connections(kind="tcp"):
                    if conn.raddr and conn.raddr.port in ports and conn.status == psutil.CONN_ESTABLISHED:
                        count += 1
        return count

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)


async def measure_idle(monitor: ProcessMonitor, ports: set[int], warmup: float, seconds: float) -> dict:
    """CPU per second, RSS peak and scheduler sockets of a server with no client.

    ``warmup`` seconds pass first: the reference connects to every workflow at
    start, ours to none, and neither should be measured mid-start.
    """
    await asyncio.sleep(warmup)
    monitor.take_peak()
    cpu0, t0 = monitor.cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, t1 = monitor.cpu_seconds(), time.monotonic()
    return {
        "seconds": t1 - t0,
        "cpu_per_s": (cpu1 - cpu0) / (t1 - t0),
        "rss_peak": monitor.take_peak(),
        "scheduler_sockets": monitor.tcp_peers(ports),
        "threads": monitor.threads(),
    }


@dataclass
class RunningServer:
    """A started server: its URL parts, process and monitor."""

    spec: ServerSpec
    port: int
    token: str
    process: asyncio.subprocess.Process
    log_path: Path
    monitor: ProcessMonitor
    t_launch: float
    t_ready: float
    _pump: asyncio.Task | None = field(default=None, repr=False)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/cylc/subscriptions"

    async def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (Jupyter shuts down its extensions), SIGKILL after ``timeout``."""
        self.monitor.close()
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                await asyncio.wait_for(self.process.wait(), timeout)
        # Jupyter asks before shutting down on the first SIGINT only; SIGTERM is
        # immediate, but make sure nothing of its process group survives.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self._pump is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._pump, 5)


async def _pump_log(stream: asyncio.StreamReader, path: Path, ready: asyncio.Event) -> None:
    """Copy the server's output to ``path``; set ``ready`` on the banner."""
    with open(path, "ab") as out:
        while True:
            line = await stream.readline()
            if not line:
                return
            out.write(line)
            out.flush()
            if not ready.is_set() and READY.search(line.decode("utf-8", "replace")):
                ready.set()


async def start_server(
    spec: ServerSpec, env: dict[str, str], log_path: Path, *, timeout: float = 90.0
) -> RunningServer:
    """Launch ``spec`` with ``env`` (the harness's); return once it serves."""
    port = free_port()
    token = secrets.token_hex(16)
    env = dict(env)
    bin_dir = str(spec.bin_dir)
    env["PATH"] = os.pathsep.join([bin_dir] + [p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir])
    env["VIRTUAL_ENV"] = str(spec.venv)
    argv = [
        str(spec.bin_dir / spec.argv[0]), *spec.argv[1:],
        "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        f"--IdentityProvider.token={token}",
    ]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(" ".join(argv) + "\n")
    t_launch = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=env.get("HOME"), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    ready = asyncio.Event()
    pump = asyncio.create_task(_pump_log(process.stdout, log_path, ready))
    exited = asyncio.create_task(process.wait())
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({waiter, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    exited.cancel()
    if not ready.is_set():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 15)
        raise RuntimeError(f"{spec.name} server did not start within {timeout} s; see {log_path}")
    monitor = ProcessMonitor(process.pid)
    return RunningServer(spec, port, token, process, log_path, monitor, t_launch, time.monotonic(), pump)
