"""The sidebar at scale: many synthetic workflows, both servers, one JSON file.

    .venv/bin/python -m benchmarks.run_synthetic --workflows 200 \
        --out benchmarks/results/synthetic-200.json

One synthetic scheduler process (``benchmarks.synthetic.server``) serves
every workflow under a temporary HOME. For each server in turn: start it,
measure idle, connect one sidebar client (the web UI's ``App`` subscription)
and measure how long until it lists every workflow as running, how many
distinct workflows keep sending updates during the streaming window (the
reference caps the workflows it syncs at ``max_threads = 100``), delivery
latency against ``lastUpdated``, CPU and RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.client import BenchClient, collect_between_phases, pause_collector
from benchmarks.documents import APP_SUBSCRIPTION, WORKFLOW_SUBSCRIPTION
from benchmarks.run import REPO, log, machine_facts, write
from benchmarks.probe import PubProbe
from benchmarks.servers import SERVERS, RunningServer, measure_idle, start_server
from benchmarks.stats import percentiles
from tests.cylc_harness import CylcHarness

OWNER = getpass.getuser()


async def wait_all_running(app: BenchClient, ids: set[str], limit: float) -> float:
    """Seconds until the sidebar shows every id as running; -1 after ``limit``."""
    t0 = time.monotonic()
    while True:
        running = {i for i, w in app.store.workflows.items() if w.get("status") == "running"}
        if ids <= running:
            return time.monotonic() - t0
        remaining = t0 + limit - time.monotonic()
        if remaining <= 0:
            return -1.0
        app.activity.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(app.activity.wait(), remaining)


async def run_phase(kind: str, env: dict[str, str], ids: list[str], ports: set[int],
                    args: argparse.Namespace, work: Path, index: int,
                    probe: PubProbe | None = None) -> dict[str, Any]:
    log_path = work / f"phase{index:02d}-{kind}.log"
    result: dict[str, Any] = {"server": kind, "clients": 0, "log": str(log_path)}
    log(f"phase {index}: {kind}")
    server: RunningServer = await start_server(SERVERS[kind], env, log_path)
    app = None
    try:
        result["startup_s"] = server.t_ready - server.t_launch
        monitor = server.monitor
        result["idle"] = await measure_idle(monitor, ports, args.warmup, args.idle)
        log(f"  idle: {result['idle']}")
        app = BenchClient("app", server.ws_url, server.token, APP_SUBSCRIPTION, {}, "App")
        # Optional workspace clients put their workflows at full sync, so the
        # task proxy, job and family checksums are verified on the wire too.
        workspaces = [
            BenchClient(f"workflow-{n}", server.ws_url, server.token, WORKFLOW_SUBSCRIPTION,
                        {"workflowId": ids[n % len(ids)]}, "Workflow")
            for n in range(args.workspace)
        ]
        await asyncio.gather(app.start(), *(client.start() for client in workspaces))
        if workspaces:
            waiters = [asyncio.create_task(client.first_tasks.wait()) for client in workspaces]
            _done, pending = await asyncio.wait(waiters, timeout=args.list_timeout)
            for task in pending:
                task.cancel()
            result["workspace_first_tasks_s"] = [
                next((f.t_recv - c.t_start for f in c.frames if f.n_task_proxies), None) for c in workspaces
            ]
            result["workspace_burst_bytes"] = [
                next((f.nbytes for f in c.frames if f.n_task_proxies), None) for c in workspaces
            ]
            log(f"  workspace first data: {result['workspace_first_tasks_s']}")
        listed = await wait_all_running(app, set(ids), args.list_timeout)
        result["sidebar_all_running_s"] = listed
        result["sidebar_workflows_listed"] = len(app.store.workflows)
        log(f"  all {len(ids)} running in the sidebar after {listed:.2f} s "
            f"({len(app.store.workflows)} listed)")
        # From the clients' start until every workflow is listed (and the
        # workspace bursts are in), kept apart from the streaming window.
        result["burst"] = {"rss_peak": monitor.take_peak()}
        cpu_s0, t_s0, w0 = monitor.cpu_seconds(), time.monotonic(), time.time()
        await asyncio.sleep(args.stream)
        cpu_s1, t_s1, w1 = monitor.cpu_seconds(), time.monotonic(), time.time()
        # Latency and update counts from update frames only: a workflow's
        # snapshot (its burst) carries the age of its data, not a delivery time.
        frames = [f for f in app.frames if w0 <= f.t_recv <= w1 and not f.snapshot]
        per_workflow: dict[str, int] = {}
        for frame in frames:
            if frame.last_updated is not None:
                per_workflow[frame.workflow] = per_workflow.get(frame.workflow, 0) + 1
        latencies = [f.t_recv - f.last_updated for f in frames if f.last_updated is not None]
        server_latencies = [
            f.t_recv - arrival for f, arrival in (probe.timed(frames, "workflow") if probe is not None else [])
        ]
        result["stream"] = {
            "seconds": t_s1 - t_s0, "cpu_per_s": (cpu_s1 - cpu_s0) / (t_s1 - t_s0),
            "rss_peak": monitor.take_peak(), "scheduler_sockets": monitor.tcp_peers(ports),
            "threads": monitor.threads(),
        }
        result["sidebar"] = {
            "first_frame_s": (app.frames[0].t_recv - app.t_start) if app.frames else None,
            "window_frames": len(frames), "window_bytes": sum(f.nbytes for f in frames),
            "workflows_updating": len(per_workflow),
            "updates_per_workflow": percentiles(per_workflow.values(), (50,)),
            "expected_updates_per_workflow": args.stream / args.interval,
            "latency_s": percentiles(latencies, (50, 95, 99)),
            "server_latency_s": percentiles(server_latencies, (50, 95, 99)),
            "workflows_seen": len(app.store.workflows),
            "errors": sum(f.errors for f in app.frames),
        }
        if workspaces:
            ws_frames = [f for c in workspaces for f in c.frames[1:] if w0 <= f.t_recv <= w1 and not f.snapshot]
            result["workspace"] = {
                "latency_s": percentiles(
                    [f.t_recv - f.last_updated for f in ws_frames if f.last_updated is not None], (50, 95, 99)),
                "server_latency_s": percentiles([
                    f.t_recv - arrival for f, arrival in (probe.timed(ws_frames, "all") if probe is not None else [])
                ], (50, 95, 99)),
                "task_proxies": [len(c.store.of(c.variables["workflowId"])["taskProxies"]) for c in workspaces],
                "errors": sum(f.errors for c in workspaces for f in c.frames),
            }
            log(f"  workspace: {result['workspace']}")
        log(f"  stream: {result['stream']}")
        log(f"  sidebar: {result['sidebar']}")
    finally:
        for client in ([app] if app is not None else []) + (workspaces if "workspaces" in locals() else []):
            with contextlib.suppress(Exception):
                await client.close()
        await server.stop()
    return result


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    work = Path(args.work or (REPO / "benchmarks" / "work" / f"synthetic-{stamp}"))
    work.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="home-", dir=work))
    harness = CylcHarness(home)  # only for its isolated environment and cleanup sweep
    env = harness.env()
    report: dict[str, Any] = {
        "command": " ".join([".venv/bin/python -m benchmarks.run_synthetic", *sys.argv[1:]]),
        "machine": machine_facts(),
        "workload": {
            "name": f"synthetic-{args.workflows}",
            "description": f"{args.workflows} synthetic workflows of {args.tasks} task proxies, "
                           f"one batch per workflow every {args.interval:g} s",
            "count": args.workflows,
        },
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "phases": [],
    }
    names = [f"syn{index:04d}" for index in range(args.workflows)]
    ids = [f"~{OWNER}/{name}" for name in names]
    synthetic = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.synthetic.server", "--home", str(home),
        "--workflows", str(args.workflows), "--tasks", str(args.tasks),
        "--interval", str(args.interval), "--changes", str(args.changes), "--seed", str(args.seed),
        cwd=str(REPO), env={**env, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )
    try:
        line = await asyncio.wait_for(synthetic.stdout.readline(), 300)
        log(line.decode().strip())
        ports: set[int] = set()
        pub_ports: dict[str, tuple[str, int]] = {}
        for name, workflow_id in zip(names, ids):
            contact = (home / "cylc-run" / name / ".service" / "contact").read_text()
            for entry in contact.splitlines():
                key, _, value = entry.partition("=")
                if key in ("CYLC_WORKFLOW_PORT", "CYLC_WORKFLOW_PUBLISH_PORT"):
                    ports.add(int(value))
                if key == "CYLC_WORKFLOW_PUBLISH_PORT":
                    pub_ports[workflow_id] = ("localhost", int(value))
        probe = PubProbe({i: home / "cylc-run" / n for n, i in zip(names, ids)}, pub_ports)
        for index, kind in enumerate(args.servers, 1):
            try:
                phase = await run_phase(kind, env, ids, ports, args, work, index, probe)
            except Exception as exc:
                log(f"  phase failed: {exc!r}")
                phase = {"server": kind, "clients": 0, "failed": repr(exc)}
            report["phases"].append(phase)
            collect_between_phases()
            if args.out:
                write(report, Path(args.out))
        await probe.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            synthetic.send_signal(signal.SIGTERM)
        with contextlib.suppress(asyncio.TimeoutError):
            out, _ = await asyncio.wait_for(synthetic.communicate(), 30)
            log(out.decode().strip()[-500:])
        await asyncio.to_thread(harness.cleanup)
    return report


async def _cancellable(args: argparse.Namespace) -> dict[str, Any]:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    return await main_async(args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--servers", default="ours,reference", type=lambda s: s.split(","))
    parser.add_argument("--workspace", type=int, default=0, help="workspace clients (on the first workflows)")
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--idle", type=float, default=10)
    parser.add_argument("--stream", type=float, default=60)
    parser.add_argument("--list-timeout", type=float, default=120)
    parser.add_argument("--out")
    parser.add_argument("--work")
    args = parser.parse_args(argv)
    pause_collector()
    report = asyncio.run(_cancellable(args))
    if args.out:
        write(report, Path(args.out))
        log(f"wrote {args.out}")
    else:
        print(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
