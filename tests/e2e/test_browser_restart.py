"""A real server restart under an open page: ``jupyter-cylc`` runs as a
subprocess, is stopped (SIGTERM) while Chromium shows a workflow, the workflow
changes while the server is down, and the server comes back on the same port.
The page, never reloaded, shows the offline banner and then the new state."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.cylc_harness import SMALL, CylcHarness, _tail
from tests.e2e.browser_support import (  # noqa: F401 (fixtures)
    REQUIREMENTS, assert_not_reloaded, chromium_page, cylc_home, harness, mark_page, open_workspace,
    playwright_api, shot, task_row,
)

pytestmark = [pytest.mark.timeout(240), *REQUIREMENTS]

JUPYTER_CYLC = Path(os.environ.get("JUPYTER_CYLC", Path(__file__).resolve().parents[2] / ".venv/bin/jupyter-cylc"))
WORKFLOW = "e2e/restart"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``jupyter-cylc`` as a child process in its own session, restartable on one port."""

    def __init__(self, harness: CylcHarness, tmp: Path) -> None:
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.harness = harness
        self.tmp = tmp
        self.log = tmp / "server.log"
        self.proc: subprocess.Popen | None = None
        (tmp / "root").mkdir(exist_ok=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}/cylc/"

    def start(self, timeout: float = 60) -> None:
        """Start the server and return once it accepts connections."""
        env = self.harness.env()
        env.pop("PYTHONPATH", None)
        # One runtime dir for both runs: the cookie secret (and so the login) survives the restart.
        env["JUPYTER_RUNTIME_DIR"] = str(self.tmp / "runtime")
        env["JUPYTER_CONFIG_DIR"] = str(self.tmp / "jupyter-config")
        args = [str(JUPYTER_CYLC), "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.tmp / 'root'}", f"--CylcUIServer.run_dir={self.harness.cylc_run}",
                "--CylcUIServer.scan_interval=0.5"]
        if os.geteuid() == 0:
            args.append("--allow-root")  # containers and CI often run as root
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(args, env=env, cwd=self.tmp, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"jupyter-cylc exited {self.proc.returncode}:\n{_tail(self.log, 40)}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"jupyter-cylc not listening after {timeout} s:\n{_tail(self.log, 40)}")
            time.sleep(0.1)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM and wait for the exit (a clean shutdown)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"jupyter-cylc ignored SIGTERM for {timeout} s:\n{_tail(self.log, 40)}") from None
        assert code == 0, f"jupyter-cylc exited {code}:\n{_tail(self.log, 40)}"

    def kill(self) -> None:
        """Kill whatever is left of the server's session (for ``finally``)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


async def test_page_reconnects_after_a_server_restart(harness, tmp_path):
    harness.write_workflow(WORKFLOW, SMALL)
    await asyncio.to_thread(harness.play, WORKFLOW, pause=True)
    server = ServerProcess(harness, tmp_path)
    errors: list[str] = []
    try:
        async with asyncio.timeout(200):
            await asyncio.to_thread(server.start)
            async with chromium_page(errors) as page:
                await open_workspace(page, server.root, server.token, WORKFLOW)
                await mark_page(page)
                foo = task_row(page, "foo").first
                icon = foo.locator(".icon-btn svg")
                assert "held" not in (await icon.get_attribute("aria-label") or "")
                assert "paused" in (await page.locator(".toolbar .msg").text_content() or "")

                # Server down: the banner shows and the sync badge goes off.
                await asyncio.to_thread(server.stop)
                await page.wait_for_selector(".offline", timeout=30_000)
                await page.wait_for_selector(".toolbar .sync.off")
                await shot(page, "offline")

                # Meanwhile the workflow changes: foo held, the workflow resumed.
                await asyncio.to_thread(harness.hold, WORKFLOW, "1/foo")
                await asyncio.to_thread(harness.wait_for_log, WORKFLOW, r"1/foo.*held")
                await asyncio.to_thread(harness.resume, WORKFLOW)
                await asyncio.to_thread(harness.wait_for_log, WORKFLOW, r"RESUMING")
                assert await page.locator(".offline").count() == 1, "back online with the server down"

                # Server back on the same port: the page reconnects and shows the new state.
                await asyncio.to_thread(server.start)
                try:
                    await page.wait_for_selector(".offline", state="detached", timeout=60_000)
                    await page.wait_for_selector(".toolbar .sync.live", timeout=30_000)
                    await page.wait_for_selector(".toolbar .wf-icon.running", timeout=30_000)
                    await page.wait_for_function(
                        """() => [...document.querySelectorAll('.tree-view .row.task')]
                            .some(r => r.querySelector('.name')?.textContent.trim() === 'foo'
                                && (r.querySelector('.icon-btn svg')?.getAttribute('aria-label') ?? '').includes('held'))""",
                        timeout=30_000)
                except playwright_api.TimeoutError:
                    await shot(page, "restart-failure")
                    raise
                assert "paused" not in (await page.locator(".toolbar .msg").text_content() or "")
                await shot(page, "after-restart")
                await assert_not_reloaded(page)
    finally:
        server.kill()
    assert not errors, errors
