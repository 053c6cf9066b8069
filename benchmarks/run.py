"""Run one workload against both servers, alternating, and write a JSON file.

    .venv/bin/python -m benchmarks.run --workload big --clients 1,10 \
        --out benchmarks/results/big-$(date -u +%Y%m%dT%H%M%S).json

The schedulers (real cylc-flow, simulation mode, via tests/cylc_harness.py)
run once for the whole command under one temporary HOME; for each client
count each server is started in turn on that HOME, measured, and stopped.
See benchmarks/README.md for what every figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

from benchmarks.client import BenchClient, collect_between_phases, http_query, pause_collector
from benchmarks.client_process import RemoteClient
from benchmarks.compare import compare_store
from benchmarks.documents import APP_SUBSCRIPTION, CHECK_QUERY, COUNT_QUERY, WORKFLOW_SUBSCRIPTION
from benchmarks.probe import PubProbe
from benchmarks.servers import SERVERS, RunningServer, measure_idle, start_server
from benchmarks.stats import percentiles
from benchmarks.workloads import WORKLOADS, Workload
from tests.cylc_harness import CylcHarness

REPO = Path(__file__).resolve().parent.parent
OWNER = getpass.getuser()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Environment facts
# ---------------------------------------------------------------------------


def _version(venv: Path, dist: str) -> str | None:
    try:
        return subprocess.run(
            [str(venv / "bin" / "python"), "-c",
             f"import importlib.metadata as m; print(m.version({dist!r}))"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return None


def machine_facts() -> dict[str, Any]:
    cpu_model = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    import uiserver

    return {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "nproc": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "cylc_flow": _version(SERVERS["ours"].venv, "cylc-flow"),
        "cylc_flow_reference_venv": _version(SERVERS["reference"].venv, "cylc-flow"),
        "cylc_uiserver": _version(SERVERS["reference"].venv, "cylc-uiserver"),
        "ours": getattr(uiserver, "__version__", None) or _version(SERVERS["ours"].venv, "cylc-uis"),
    }


# ---------------------------------------------------------------------------
# Workload
# ---------------------------------------------------------------------------


def start_workload(harness: CylcHarness, workload: Workload, parallel: int) -> list[str]:
    """Write and play every workflow of ``workload``; return their ids."""
    names = workload.workflow_names()
    for name in names:
        harness.write_workflow(name, workload.flow)
    log(f"starting {len(names)} scheduler(s)")
    # The first one in the main thread so that it dies with us (pdeathsig).
    harness.play(names[0], timeout=300)
    with ThreadPoolExecutor(max(1, parallel)) as pool:
        list(pool.map(lambda name: harness.play(name, timeout=300), names[1:]))
    return names


def scheduler_ports(harness: CylcHarness, names: list[str]) -> set[int]:
    ports: set[int] = set()
    for name in names:
        view = harness.contact_view(name)
        ports |= {view.port, view.pub_port}
    return ports


def scheduler_cpu(harness: CylcHarness, names: list[str]) -> float:
    total = 0.0
    for name in names:
        with contextlib.suppress(psutil.Error, Exception):
            times = psutil.Process(harness.scheduler_pid(name)).cpu_times()
            total += times.user + times.system
    return total


async def snapshot_floor(harness: CylcHarness, name: str, repeats: int = 3) -> dict[str, Any]:
    """How long a scheduler takes to answer ``pb_entire_workflow`` (no UI server involved).

    A lower bound for any server's time to first data on a cold connection.
    """
    import zmq.asyncio

    from uiserver.scheduler.client import SchedulerClient
    from uiserver.scheduler.keys import load_keys

    view = harness.contact_view(name)
    context = zmq.asyncio.Context()
    client = SchedulerClient(context, "127.0.0.1", view.port, load_keys(harness.service_dir(name)), timeout=60)
    times, size = [], 0
    try:
        for _ in range(repeats):
            t0 = time.monotonic()
            entire = await client.entire_workflow(timeout=60)
            times.append(time.monotonic() - t0)
            size = entire.ByteSize()
    finally:
        client.close()
        context.term()
    return {"seconds": times, "min_s": min(times), "bytes": size}


# ---------------------------------------------------------------------------
# One server phase
# ---------------------------------------------------------------------------


async def wait_quiet(clients: list[BenchClient], quiet: float, limit: float) -> float:
    """Wait until no client got a frame for ``quiet`` s (at most ``limit`` s)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for client in clients:
            client.activity.clear()
        waiters = [asyncio.create_task(client.activity.wait()) for client in clients]
        done, pending = await asyncio.wait(
            waiters, timeout=min(quiet, max(deadline - time.monotonic(), 0.01)),
            return_when=asyncio.FIRST_COMPLETED,
        )
        for task in pending:
            task.cancel()
        if not done:
            return time.monotonic() - (deadline - limit)
    return -1.0


async def wait_status(app: BenchClient, ids: list[str], status: str, limit: float) -> float:
    """Wait until the sidebar store shows every workflow in ``status``; -1 on timeout.

    A busy scheduler can take many seconds to act on ``cylc pause``, and a
    quiet spell before that proves nothing.
    """
    t0 = time.monotonic()
    deadline = t0 + limit
    while True:
        if all(app.store.workflows.get(i, {}).get("status") == status for i in ids):
            return time.monotonic() - t0
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return -1.0
        app.activity.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(app.activity.wait(), remaining)


def frame_figures(
    client: BenchClient, window: tuple[float, float], probe: PubProbe | None = None,
    topic: str = "all",
) -> dict[str, Any]:
    """Per-client figures; latency only for update frames in ``window`` after the first.

    The UI server's share is timed from the arrival of the batch's ``topic``
    message at the probe (see :mod:`benchmarks.probe`).
    """
    frames = client.frames
    first = frames[0] if frames else None
    in_window = [f for f in frames[1:] if window[0] <= f.t_recv <= window[1]]
    samples = [f for f in in_window if not f.snapshot]
    # (frame, when its batch's `topic` message reached the probe), where both are known.
    timed = probe.timed(samples, topic) if probe is not None else []
    return {
        "label": client.label,
        "frames_total": len(frames),
        "bytes_total": sum(f.nbytes for f in frames),
        "first_frame_s": (first.t_recv - client.t_start) if first else None,
        "first_frame_bytes": first.nbytes if first else None,
        # The burst proper: the first frame that left task proxies in the store.
        "burst_frame_bytes": next((f.nbytes for f in frames if f.n_task_proxies), None),
        "window_frames": len(in_window),
        "window_bytes": sum(f.nbytes for f in in_window),
        "latencies": [f.t_recv - f.last_updated for f in samples if f.last_updated is not None],
        # The UI server's share: receive time minus when the batch reached our probe.
        "server_latencies": [f.t_recv - arrival for f, arrival in timed],
        "scheduler_delays": [probe.delay(f.last_updated) for f, _ in timed],
        # Each latency sample as [batch time, UI server's share, bytes], so the
        # frames behind a tail can be found (kept in the JSON, not in the table).
        "samples": [[round(f.last_updated, 3), round(f.t_recv - arrival, 4), f.nbytes] for f, arrival in timed],
        "errors": sum(f.errors for f in frames),
        "other_messages": client.other_messages[:5],
    }


async def run_phase(
    harness: CylcHarness, kind: str, workflows: list[str], n_clients: int,
    args: argparse.Namespace, work: Path, index: int, result: dict[str, Any],
) -> dict[str, Any]:
    """Fill ``result`` (so that a failure part-way keeps what was measured)."""
    spec = SERVERS[kind]
    ids = [f"~{OWNER}/{name}" for name in workflows]
    ports = scheduler_ports(harness, workflows)
    log_path = work / f"phase{index:02d}-{kind}-{n_clients}.log"
    result.update({"server": kind, "clients": n_clients, "log": str(log_path)})
    log(f"phase {index}: {kind} with {n_clients} client(s)")
    server: RunningServer = await start_server(spec, harness.env(), log_path)
    clients: list[BenchClient] = []
    probe = PubProbe(
        {f"~{OWNER}/{name}": harness.run_dir(name) for name in workflows},
        {f"~{OWNER}/{name}": ("localhost", harness.contact_view(name).pub_port) for name in workflows},
    )
    try:
        result["startup_s"] = server.t_ready - server.t_launch
        monitor = server.monitor
        result["idle"] = await measure_idle(monitor, ports, args.warmup, args.idle)
        log(f"  idle: {result['idle']}")

        profiler = None
        if kind in args.profile:
            # Sampling the burst and the streaming window: collapsed stacks
            # (py-spy --format raw), summarised by benchmarks/profile_summary.py.
            profiler = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.process.pid),
                "--rate", "100", "--format", "raw", "--nonblocking",
                "--duration", str(int(args.stream + 60)), "-o", str(log_path.with_suffix(".pyspy.txt")),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )
            result["profile"] = str(log_path.with_suffix(".pyspy.txt"))
        # Connect: N workspace clients (round-robin over the workflows) + 1 sidebar.
        for number in range(n_clients):
            workflow_id = ids[number % len(ids)]
            # Each in its own process unless told otherwise, as browsers are
            # (see benchmarks/client_process.py).
            kind_of_client = RemoteClient if args.client_processes == "each" else BenchClient
            clients.append(kind_of_client(
                f"workflow-{number}", server.ws_url, server.token, WORKFLOW_SUBSCRIPTION,
                {"workflowId": workflow_id}, "Workflow",
            ))
        app = BenchClient("app", server.ws_url, server.token, APP_SUBSCRIPTION, {}, "App")
        everyone = [*clients, app]
        await asyncio.gather(*(client.connect() for client in everyone))
        cpu_b0, t_b0 = monitor.cpu_seconds(), time.monotonic()
        await asyncio.gather(*(client.start() for client in everyone))
        # The first frame may be a placeholder (workflow only, before the
        # server has synced); the burst is over when every store has tasks.
        waiters = [asyncio.create_task(client.first_tasks.wait()) for client in clients]
        done, pending = await asyncio.wait(waiters, timeout=args.burst_timeout)
        for task in pending:
            task.cancel()
        burst_wall = time.time()
        cpu_b1, t_b1 = monitor.cpu_seconds(), time.monotonic()
        result["burst"] = {
            "clients_with_data": len(done),
            "seconds": t_b1 - t_b0,
            "cpu_seconds": cpu_b1 - cpu_b0,
            "rss_peak": monitor.take_peak(),
        }
        log(f"  burst: {result['burst']}")
        # Only the workflows a workspace client watches are counted: asking
        # ours for the task proxies of a workflow it follows at summary level
        # makes it sync that workflow in full, which is the benchmark's doing,
        # not the workload's (earlier runs counted all of them).
        watched = sorted({client.variables["workflowId"] for client in clients})

        async def count_task_proxies() -> dict[str, int]:
            counts = {}
            for workflow_id in watched:
                data = await http_query(server.http_url, server.token, COUNT_QUERY, {"ids": [workflow_id]})
                counts[workflow_id] = len(data["taskProxies"] or ())
            return counts

        result["task_proxies_http_after_burst"] = await count_task_proxies()
        # The count is the benchmark's, so its peak is kept apart from the window's.
        result["http_count_rss_peak"] = monitor.take_peak()

        # Streaming window.
        sched0 = scheduler_cpu(harness, workflows)
        cpu_s0, t_s0, w0 = monitor.cpu_seconds(), time.monotonic(), time.time()
        await asyncio.sleep(args.stream)
        cpu_s1, t_s1, w1 = monitor.cpu_seconds(), time.monotonic(), time.time()
        sched1 = scheduler_cpu(harness, workflows)
        result["stream"] = {
            "seconds": t_s1 - t_s0,
            "cpu_per_s": (cpu_s1 - cpu_s0) / (t_s1 - t_s0),
            "rss_peak": monitor.take_peak(),
            "scheduler_sockets": monitor.tcp_peers(ports),
            "threads": monitor.threads(),
            "scheduler_cpu_per_s": (sched1 - sched0) / (t_s1 - t_s0),
            "loadavg": os.getloadavg(),
        }
        log(f"  stream: {result['stream']}")
        # The expected size of a full store: the server's own count once the
        # workflow is steady (a count taken right after the burst could
        # undercount on a server that answers before it has synced).
        counts = await count_task_proxies()
        result["task_proxies_http_after_stream"] = counts

        # Time to a store holding every task proxy.
        per_client = []
        for client in clients:
            figures = frame_figures(client, (burst_wall, w1), probe)
            # Expected: the server's own count right after the burst (the burst
            # waits for task proxies, so the server has synced by then); the
            # count at the end of the window would include later growth.
            expected = result["task_proxies_http_after_burst"][client.variables["workflowId"]]
            full = next(
                (f for f in client.frames if f.n_task_proxies >= args.full_fraction * expected), None
            )
            figures["full_store_s"] = (full.t_recv - client.t_start) if full else None
            with_tasks = next((f for f in client.frames if f.n_task_proxies), None)
            figures["first_tasks_s"] = (with_tasks.t_recv - client.t_start) if with_tasks else None
            figures["expected_task_proxies"] = expected
            figures["timeline"] = [
                (round(f.t_recv - client.t_start, 4), f.n_task_proxies, f.nbytes) for f in client.frames[:20]
            ]
            per_client.append(figures)
        app_figures = frame_figures(app, (burst_wall, w1), probe, "workflow")
        app_figures["workflows_seen"] = len(app.store.workflows)
        # How long the schedulers took from a batch's `workflow` message to its
        # `all` message (nothing to do with either UI server).
        result["probe_all_after_workflow_s"] = percentiles(probe.all_after_workflow(burst_wall, w1), (50, 95, 99))

        latencies = [value for figures in per_client for value in figures.pop("latencies")]
        server_latencies = [value for figures in per_client for value in figures.pop("server_latencies")]
        scheduler_delays = [value for figures in per_client for value in figures.pop("scheduler_delays")]
        app_latencies = app_figures.pop("latencies")
        app_server_latencies = app_figures.pop("server_latencies")
        app_figures.pop("scheduler_delays")
        result["workspace"] = {
            "first_frame_s": percentiles([f["first_frame_s"] for f in per_client if f["first_frame_s"] is not None], (50,)),
            "first_tasks_s": percentiles([f["first_tasks_s"] for f in per_client if f["first_tasks_s"] is not None], (50,)),
            "full_store_s": percentiles([f["full_store_s"] for f in per_client if f["full_store_s"] is not None], (50,)),
            "first_frame_bytes": max((f["first_frame_bytes"] or 0) for f in per_client),
            "burst_frame_bytes": max((f["burst_frame_bytes"] or 0) for f in per_client),
            "latency_s": percentiles(latencies, (50, 95, 99)),
            "server_latency_s": percentiles(server_latencies, (50, 95, 99)),
            "scheduler_delay_s": percentiles(scheduler_delays, (50, 95, 99)),
            "window_frames_per_client": sum(f["window_frames"] for f in per_client) / len(per_client),
            "window_bytes_per_client": sum(f["window_bytes"] for f in per_client) / len(per_client),
            "frames_total_per_client": sum(f["frames_total"] for f in per_client) / len(per_client),
            "bytes_total_per_client": sum(f["bytes_total"] for f in per_client) / len(per_client),
            "errors": sum(f["errors"] for f in per_client),
            "per_client": per_client,
        }
        result["sidebar"] = {
            **app_figures, "latency_s": percentiles(app_latencies, (50, 95, 99)),
            "server_latency_s": percentiles(app_server_latencies, (50, 95, 99)),
        }
        log(f"  workspace: first {result['workspace']['first_frame_s']} latency {result['workspace']['latency_s']}")
        try:
            # Correctness: pause, wait for quiet, compare each store with HTTP.
            await asyncio.gather(*(asyncio.to_thread(harness.pause, name) for name in workflows))
            paused_after = await wait_status(app, ids, "paused", args.quiet_limit)
            quiet = await wait_quiet(everyone, args.quiet, args.quiet_limit)
            truth = {}
            for workflow_id in ids:
                truth[workflow_id] = await http_query(
                    server.http_url, server.token, CHECK_QUERY, {"ids": [workflow_id]}, timeout=120,
                )
            for data in truth.values():
                # Jobs are nested under the workflow in CHECK_QUERY.
                data["jobs"] = [job for wf in data["workflows"] or () for job in wf.get("jobs") or ()]
            await asyncio.gather(*(client.fetch_store() for client in clients))
            checks = []
            for client in clients:
                workflow_id = client.variables["workflowId"]
                check = compare_store(client.store.of(workflow_id), truth[workflow_id])
                lenient = compare_store(client.store.of(workflow_id), truth[workflow_id], lenient=True)
                check["lenient_ok"] = lenient["ok"]
                check["lenient_fields"] = {name: lenient[name]["fields"] for name in ("taskProxies", "familyProxies", "jobs", "edges")}
                client_workflow = client.store.workflows.get(workflow_id, {})
                http_workflow = (truth[workflow_id]["workflows"] or [{}])[0]
                check["workflow_status"] = {
                    "http": http_workflow.get("status"), "client": client_workflow.get("status"),
                }
                check["ok"] = check["ok"] and check["workflow_status"]["http"] == check["workflow_status"]["client"]
                checks.append(check)
            app_ok = {
                workflow_id: {
                    "http": (truth[workflow_id]["workflows"] or [{}])[0].get("status"),
                    "app": app.store.workflows.get(workflow_id, {}).get("status"),
                }
                for workflow_id in ids
            }
            result["correctness"] = {
                "paused_after_s": paused_after,
                "quiet_after_s": quiet,
                "all_ok": all(check["ok"] for check in checks)
                and all(v["http"] == v["app"] for v in app_ok.values()),
                "all_lenient_ok": all(check["lenient_ok"] for check in checks)
                and all(v["http"] == v["app"] for v in app_ok.values()),
                "clients": checks,
                "app_status": app_ok,
            }
            log(f"  correctness: all_ok={result['correctness']['all_ok']} lenient={result['correctness']['all_lenient_ok']} (paused after {paused_after:.1f} s, quiet after {quiet:.1f} s)")
        except Exception as exc:  # an overloaded server may not answer: keep the other figures
            log(f"  correctness check failed: {exc!r}")
            result["correctness"] = {"failed": repr(exc), "all_ok": None, "all_lenient_ok": None}
    finally:
        for client in clients + ([app] if "app" in locals() else []):
            with contextlib.suppress(Exception):
                await client.close()
        if "profiler" in locals() and profiler is not None and profiler.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                profiler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(profiler.wait(), 20)
        await server.stop()
        await probe.close()
        # Resume for the next phase (the other server measures the same activity).
        with contextlib.suppress(Exception):
            await asyncio.gather(*(asyncio.to_thread(harness.resume, name) for name in workflows))
    return result


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    workload = WORKLOADS[args.workload]
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    work = Path(args.work or (REPO / "benchmarks" / "work" / f"{workload.name}-{stamp}"))
    work.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="home-", dir=work))
    harness = CylcHarness(home, play_timeout=300)
    report: dict[str, Any] = {
        "command": " ".join([".venv/bin/python -m benchmarks.run", *sys.argv[1:]]),
        "machine": machine_facts(),
        "workload": {"name": workload.name, "description": workload.description, "count": workload.count},
        "settings": {key: value for key, value in vars(args).items() if key != "out"},
        "phases": [],
    }
    try:
        t0 = time.monotonic()
        names = await asyncio.to_thread(start_workload, harness, workload, args.parallel)
        report["workload"]["start_s"] = time.monotonic() - t0
        log(f"schedulers up in {report['workload']['start_s']:.1f} s; settling {args.settle} s")
        await asyncio.sleep(args.settle)
        report["workload"]["snapshot_floor"] = await snapshot_floor(harness, names[0])
        log(f"pb_entire_workflow of {names[0]}: {report['workload']['snapshot_floor']}")
        index = 0
        for round_number, n_clients in enumerate(args.clients):
            order = list(args.servers)
            if round_number % 2:
                order.reverse()  # alternate which server goes first
            for kind in order:
                index += 1
                phase: dict[str, Any] = {"server": kind, "clients": n_clients}
                try:
                    await run_phase(harness, kind, names, n_clients, args, work, index, phase)
                except Exception as exc:  # keep the other phases' results
                    log(f"  phase failed: {exc!r}")
                    phase["failed"] = repr(exc)
                report["phases"].append(phase)
                collect_between_phases()
                if args.out:
                    write(report, Path(args.out))
    finally:
        await asyncio.to_thread(harness.cleanup)
    return report


def write(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="big")
    parser.add_argument("--clients", default="1,10", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--servers", default="ours,reference", type=lambda s: s.split(","))
    parser.add_argument("--out", help="result JSON path")
    parser.add_argument("--work", help="scratch directory (default benchmarks/work/<workload>-<stamp>)")
    parser.add_argument("--settle", type=float, default=30, help="s to let the schedulers warm up")
    parser.add_argument("--warmup", type=float, default=15, help="s after a server starts before idle is measured")
    parser.add_argument("--idle", type=float, default=10, help="idle window (s, no clients)")
    parser.add_argument("--stream", type=float, default=60, help="streaming window (s)")
    parser.add_argument("--burst-timeout", type=float, default=180)
    parser.add_argument("--quiet", type=float, default=10, help="s without frames that counts as quiet")
    parser.add_argument("--quiet-limit", type=float, default=90)
    parser.add_argument("--full-fraction", type=float, default=0.95,
                        help="store is 'full' at this fraction of the HTTP task proxy count")
    parser.add_argument("--profile", default="", type=lambda s: [x for x in s.split(",") if x],
                        help="servers to sample with py-spy during burst and streaming (e.g. ours)")
    parser.add_argument("--parallel", type=int, default=4, help="schedulers started at once")
    parser.add_argument("--client-processes", choices=("each", "one"), default="each",
                        help="run each workspace client in its own process (as browsers are), "
                        "or all in the benchmark's process (as runs before 2026-12-03 did)")
    return parser.parse_args(argv)


async def _main_cancellable(args: argparse.Namespace) -> dict[str, Any]:
    """``main_async`` that SIGTERM/SIGINT cancel, so every ``finally`` runs.

    (A background job's SIGINT may be ignored; SIGTERM always arrives.)
    """
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    return await main_async(args)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    pause_collector()
    report = asyncio.run(_main_cancellable(args))
    if args.out:
        write(report, Path(args.out))
        log(f"wrote {args.out}")
    else:
        print(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
