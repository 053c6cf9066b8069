"""The demo end to end: the real ``jupyter-cylc --demo`` command, a real
scheduler in simulation mode, GraphQL over HTTP, and nothing left behind."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import http.client
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.cylc_harness import TOKEN_VAR, CylcHarness, HarnessTimeout
from uiserver.demo import DemoRunner, install_workflow, is_demo_run, read_marker
from uiserver.demo.files import server_marker, write_marker
from uiserver.demo.process import stop_scheduler
from uiserver.workflows.contact import ContactInfo

OWNER = "root" if os.geteuid() == 0 else __import__("getpass").getuser()
DEMO = "demo"
WID = f"~{OWNER}/{DEMO}"
JUPYTER_CYLC = Path(sys.executable).parent / "jupyter-cylc"
needs_command = pytest.mark.skipif(
    not JUPYTER_CYLC.exists(), reason=f"the package is not installed ({JUPYTER_CYLC})"
)

TASKS = """
query ($ids: [ID]) {
  workflows(ids: $ids) { id status }
  taskProxies(workflows: $ids) { id name cyclePoint state isHeld isRetry firstParent { name } }
  familyProxies(workflows: $ids) { id name cyclePoint }
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tagged_processes(token: str) -> list[psutil.Process]:
    """Live processes (other than this one and its parents) started with ``token``."""
    me = psutil.Process()
    mine = {me.pid} | {p.pid for p in me.parents()}
    found = []
    for process in psutil.process_iter():
        if process.pid in mine:
            continue
        with contextlib.suppress(psutil.Error, OSError):
            if process.status() != psutil.STATUS_ZOMBIE and process.environ().get(TOKEN_VAR) == token:
                found.append(process)
    return found


class DemoServer:
    """One ``jupyter-cylc --demo`` process in the harness's HOME."""

    def __init__(self, harness: CylcHarness, root: Path, name: str) -> None:
        self.harness = harness
        self.port = free_port()
        #: Jupyter's generated token, read from the URL the server prints.
        self.token = ""
        self.out_path = root / f"server-{name}.log"
        self.lines: list[str] = []
        self.url_seen = threading.Event()
        argv = [
            str(JUPYTER_CYLC),
            "--demo",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--ServerApp.root_dir={root}",
            "--CylcUIServer.scan_interval=1",
        ]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        # harness.env(): HOME and CYLC_CONF_PATH of the harness, no PYTHONPATH,
        # and the harness token that marks every process started from it.
        self.proc = subprocess.Popen(
            argv,
            env=harness.env(),
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with open(self.out_path, "w", encoding="utf-8") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()
                self.lines.append(line)
                if "Open the workspace at: " in line:
                    self.url_seen.set()

    def log(self) -> str:
        return "".join(self.lines[-60:])

    def url(self, timeout: float = 60.0) -> str:
        """The workspace URL the server printed (and its token, in :attr:`token`)."""
        if not self.url_seen.wait(timeout):
            raise AssertionError(f"no workspace URL printed within {timeout} s:\n{self.log()}")
        line = next(line for line in self.lines if "Open the workspace at: " in line)
        url = re.search(r"http://\S+", line).group(0)
        self.token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]
        return url

    def open_like_a_browser(self, url: str) -> tuple[int, str]:
        """GET ``url`` as a browser would (no fragment, no credentials but the
        URL's own, no redirects followed): ``(status, Location header)``."""
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        try:
            connection.request("GET", f"{parts.path}?{parts.query}")
            response = connection.getresponse()
            return response.status, response.getheader("Location") or ""
        finally:
            connection.close()

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/cylc/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=15) as response:
            body = json.loads(response.read())
        assert "errors" not in body, body
        return body["data"]

    def wait_for_tasks(self, predicate, timeout: float, what: str) -> dict:
        """Query the demo's tasks until ``predicate(data)``; the last answer."""
        last: list[dict] = []

        def check() -> bool:
            try:
                last[:] = [self.graphql(TASKS, {"ids": [WID]})]
            except urllib.error.URLError as exc:
                # Jupyter prints its URL a moment before it listens.
                if not isinstance(exc.reason, ConnectionRefusedError):
                    raise
                return False
            return predicate(last[0])

        try:
            self.harness.wait_for(check, timeout, what, interval=0.5, workflow_id=DEMO)
        except HarnessTimeout as exc:
            raise AssertionError(f"{exc}\nlast answer: {last}\nserver log:\n{self.log()}") from None
        return last[0]

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM the server (Jupyter's non-interactive stop); its exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"server still running {timeout} s after SIGTERM:\n{self.log()}")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        self._reader.join(10)


def running(data: dict) -> bool:
    return data["workflows"] == [{"id": WID, "status": "running"}]


def started(data: dict) -> bool:
    return running(data) and bool(data["taskProxies"])


def cycles(data: dict) -> set[int]:
    return {int(task["cyclePoint"]) for task in data["taskProxies"]}


def demo_is_live(data: dict) -> bool:
    """Running, three cycles in view, and the held task held."""
    tasks = {task["id"]: task for task in data["taskProxies"]}
    publish = tasks.get(f"{WID}//1/publish")
    return running(data) and len(cycles(data)) >= 3 and bool(publish and publish["isHeld"])


def assert_all_gone(harness: CylcHarness, pid: int) -> None:
    """The scheduler ``pid`` has exited, removed its contact file, and nothing
    started from the harness is left."""
    with contextlib.suppress(psutil.NoSuchProcess):
        assert psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, f"scheduler {pid} alive"
    assert not harness.contact_path(DEMO).exists()
    assert tagged_processes(harness.token) == []


@pytest.fixture
def servers(harness):
    started: list[DemoServer] = []
    try:
        yield started
    finally:
        for server in started:
            server.kill()


@needs_command
def test_demo_runs_with_the_server_and_is_replaced_on_the_next_start(harness, servers, tmp_path):
    first = DemoServer(harness, tmp_path, "first")
    servers.append(first)
    url = first.url()
    # Straight to the demo's workspace, with a token that logs the browser in.
    assert url.startswith(f"http://127.0.0.1:{first.port}/cylc/?token=")
    assert url.endswith(f"#/workspace/{DEMO}"), url

    data = first.wait_for_tasks(demo_is_live, 120, "the demo running, 3 cycles, 1/publish held")
    status, location = first.open_like_a_browser(url)
    assert "login" not in location and status in (200, 404), (status, location)
    families = {family["name"] for family in data["familyProxies"]}
    assert {"MODELS", "PRODUCTS"} <= families, families
    parents = {task["name"]: task["firstParent"]["name"] for task in data["taskProxies"]}
    assert parents.get("model_ocean") == "MODELS", parents
    assert is_demo_run(harness.run_dir(DEMO))
    first_contact = harness.contact_view(DEMO)

    assert first.terminate() == 0, first.log()
    assert "Demo workflow demo: scheduler" in first.log() and "stopped" in first.log()
    assert_all_gone(harness, first_contact.pid)

    # The stopped run is replaced by a fresh one: a new run from cycle 1.
    second = DemoServer(harness, tmp_path, "second")
    servers.append(second)
    second.url()
    data = second.wait_for_tasks(started, 60, "the second demo's tasks")
    second_contact = harness.contact_view(DEMO)
    assert second_contact.uuid != first_contact.uuid
    assert min(cycles(data)) == 1
    assert second.terminate() == 0, second.log()
    assert_all_gone(harness, second_contact.pid)


@needs_command
def test_a_demo_left_running_is_reused_and_then_stopped(harness, servers, tmp_path):
    crashed = DemoServer(harness, tmp_path, "crashed")
    servers.append(crashed)
    crashed.url()
    crashed.wait_for_tasks(running, 60, "the demo running")
    contact = harness.contact_view(DEMO)
    # A server that dies without stopping its demo leaves the scheduler up...
    crashed.kill()
    assert harness.is_running(DEMO)

    # ...and the next server takes it over as it is, then stops it.
    second = DemoServer(harness, tmp_path, "second")
    servers.append(second)
    second.url()
    second.wait_for_tasks(started, 60, "the reused demo's tasks")
    assert harness.contact_view(DEMO).uuid == contact.uuid
    assert "already running" in second.log()
    assert second.terminate() == 0, second.log()
    assert_all_gone(harness, contact.pid)


async def test_a_directory_the_demo_did_not_make_is_left_alone(tmp_path):
    theirs = tmp_path / "cylc-run" / DEMO
    theirs.mkdir(parents=True)
    (theirs / "flow.cylc").write_text("# someone's own workflow\n")
    scans = []
    runner = DemoRunner(tmp_path / "cylc-run", DEMO, on_change=lambda: scans.append(1))
    runner.start()
    assert await runner.wait_started() == "refused"
    await runner.stop()
    assert sorted(p.name for p in theirs.iterdir()) == ["flow.cylc"]
    assert (theirs / "flow.cylc").read_text() == "# someone's own workflow\n"
    assert not runner.owned and scans


def test_a_fresh_copy_replaces_an_old_run(tmp_path):
    run = tmp_path / DEMO
    (run / "log").mkdir(parents=True)
    (run / "log" / "old").write_text("old run")
    install_workflow(run)
    assert sorted(p.name for p in run.iterdir()) == ["flow.cylc"]
    assert "Cylc UI Server demo" in (run / "flow.cylc").read_text()
    assert read_marker(run) is None and not is_demo_run(run)
    write_marker(run, server_marker())
    assert is_demo_run(run) and read_marker(run).is_this_process()
    assert read_marker(run).server_alive()


def _contact_for(proc: subprocess.Popen, argv: list[str]) -> ContactInfo:
    return ContactInfo(
        workflow_name=DEMO, host="localhost", port=1, pub_port=2, api=5,
        cylc_version="8.5.4", pid=proc.pid, command=" ".join(argv),
    )


def _child(code: str) -> tuple[subprocess.Popen, list[str]]:
    """A Python child that has run ``code`` once it printed "ready"."""
    argv = [sys.executable, "-c", f"{code}\nprint('ready', flush=True)\nimport time; time.sleep(60)"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    assert ready and proc.stdout.readline() == "ready\n"
    return proc, argv


async def test_a_scheduler_is_stopped_with_sigterm_and_killed_if_it_hangs():
    polite, polite_argv = _child("")
    stubborn, stubborn_argv = _child("import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    other, _ = _child("")
    try:
        assert await stop_scheduler(_contact_for(polite, polite_argv), 10) == "stopped"
        assert polite.wait(5) == -signal.SIGTERM
        assert await stop_scheduler(_contact_for(stubborn, stubborn_argv), 0.5) == "killed"
        assert stubborn.wait(5) == -signal.SIGKILL
        # Gone, or its PID now runs something else: nothing is signalled.
        assert await stop_scheduler(_contact_for(polite, polite_argv), 1) == "gone"
        assert await stop_scheduler(_contact_for(other, ["cylc", "play", DEMO]), 1) == "gone"
        assert other.poll() is None
    finally:
        for proc in (polite, stubborn, other):
            proc.kill()
            proc.wait(5)
