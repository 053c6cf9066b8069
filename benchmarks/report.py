"""Turn result JSON files of ``benchmarks.run`` into ``benchmarks/RESULTS.md``.

    .venv/bin/python -m benchmarks.report benchmarks/results/*.json -o benchmarks/RESULTS.md

One table per (workload, client count): every figure for both servers and
the ratio reference / ours (above 1 means ours is better for times, sizes,
CPU and memory alike).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

MB = 1024 * 1024

Row = tuple[str, Callable[[dict[str, Any]], Any], str]


def _get(*path: str | int) -> Callable[[dict[str, Any]], Any]:
    def read(phase: dict[str, Any]) -> Any:
        value: Any = phase
        for key in path:
            if value is None:
                return None
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return None
        return value
    return read


def _ms(value: Any) -> str:
    return "–" if value is None else f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def _mb(value: Any) -> str:
    return "–" if value is None else f"{value / MB:,.1f} MB"


def _kb(value: Any) -> str:
    return "–" if value is None else f"{value / 1024:,.0f} kB"


def _num(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "–" if value is None else f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _cpu(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


def _bool(value: Any) -> str:
    return "–" if value is None else ("yes" if value else "**no**")


def _burst_from_timeline(phase: dict[str, Any]) -> Any:
    """For older result files: a first frame with task proxies is the burst."""
    first = (_get("workspace", "per_client", 0)(phase) or {})
    if first.get("first_frame_s") is not None and first.get("first_frame_s") == first.get("first_tasks_s"):
        return first.get("first_frame_bytes")
    return None


ROWS: list[tuple[str, Callable[[dict[str, Any]], Any], Callable[[Any], str], bool]] = [
    # label, getter, formatter, ratio?
    ("time to first frame, workspace (p50 over clients)", _get("workspace", "first_frame_s", "p50"), _ms, True),
    ("time to first frame, workspace (slowest client)", _get("workspace", "first_frame_s", "max"), _ms, True),
    ("time to first frame with task proxies (p50)", _get("workspace", "first_tasks_s", "p50"), _ms, True),
    ("time to a store with every task proxy (p50)", _get("workspace", "full_store_s", "p50"), _ms, True),
    ("time to a store with every task proxy (slowest)", _get("workspace", "full_store_s", "max"), _ms, True),
    ("time to first frame, sidebar", _get("sidebar", "first_frame_s"), _ms, True),
    ("burst wait: until every workspace store has task proxies (or timeout)", _get("burst", "seconds"), _ms, True),
    ("workspace clients with data at the end of the burst wait", lambda p: None if p.get("burst") is None else f"{p['burst']['clients_with_data']} of {p['clients']}", str, False),
    ("first frame size, workspace", _get("workspace", "first_frame_bytes"), _kb, False),
    ("size of the first frame with task proxies (the burst)", lambda p: _get("workspace", "burst_frame_bytes")(p) or _burst_from_timeline(p), _mb, True),
    ("task proxies of watched workflows (HTTP, end of window)", lambda p: sum((p.get("task_proxies_http_after_stream") or p.get("task_proxies_http_after_burst") or {}).values()) or None, _num, False),
    ("delivery latency p50", _get("workspace", "latency_s", "p50"), _ms, True),
    ("delivery latency p95", _get("workspace", "latency_s", "p95"), _ms, True),
    ("delivery latency p99", _get("workspace", "latency_s", "p99"), _ms, True),
    ("delivery latency max", _get("workspace", "latency_s", "max"), _ms, True),
    ("UI server's share of latency p50 (receive − the batch's `all` message on the scheduler's PUB)", _get("workspace", "server_latency_s", "p50"), _ms, True),
    ("UI server's share of latency p95", _get("workspace", "server_latency_s", "p95"), _ms, True),
    ("UI server's share of latency p99", _get("workspace", "server_latency_s", "p99"), _ms, True),
    ("UI server's share of latency max", _get("workspace", "server_latency_s", "max"), _ms, True),
    ("scheduler publish delay p50 (PUB − lastUpdated, same for both)", _get("workspace", "scheduler_delay_s", "p50"), _ms, False),
    ("scheduler publish delay p99", _get("workspace", "scheduler_delay_s", "p99"), _ms, False),
    ("scheduler gap from a batch's `workflow` message to its `all` message p99", _get("probe_all_after_workflow_s", "p99"), _ms, False),
    ("latency samples (frames with lastUpdated)", _get("workspace", "latency_s", "n"), _num, False),
    ("sidebar latency p50", _get("sidebar", "latency_s", "p50"), _ms, True),
    ("sidebar latency p99", _get("sidebar", "latency_s", "p99"), _ms, True),
    ("frames per workspace client, streaming window", _get("workspace", "window_frames_per_client"), _num, False),
    ("bytes per workspace client, streaming window", _get("workspace", "window_bytes_per_client"), _kb, True),
    ("frames per workspace client, whole phase", _get("workspace", "frames_total_per_client"), _num, False),
    ("bytes per workspace client, whole phase", _get("workspace", "bytes_total_per_client"), _mb, True),
    ("sidebar frames / bytes, streaming window", lambda p: (_get("sidebar", "window_frames")(p), _get("sidebar", "window_bytes")(p)), lambda v: "–" if v[0] is None else f"{v[0]:,} / {_kb(v[1])}", False),
    ("server CPU s per s, streaming", _get("stream", "cpu_per_s"), _cpu, True),
    ("server CPU s, initial burst", _get("burst", "cpu_seconds"), _cpu, True),
    ("server peak RSS, streaming", _get("stream", "rss_peak"), _mb, True),
    ("server peak RSS, burst", _get("burst", "rss_peak"), _mb, True),
    ("server threads, streaming", _get("stream", "threads"), _num, False),
    ("idle CPU s per s (workflows running, no client)", _get("idle", "cpu_per_s"), _cpu, True),
    ("idle RSS (no client)", _get("idle", "rss_peak"), _mb, True),
    ("idle sockets to schedulers (no client)", _get("idle", "scheduler_sockets"), _num, False),
    ("sockets to schedulers while streaming", _get("stream", "scheduler_sockets"), _num, False),
    ("scheduler CPU s per s, streaming (all schedulers)", _get("stream", "scheduler_cpu_per_s"), _cpu, False),
    ("server start to banner", _get("startup_s"), _ms, False),
    ("every client store == HTTP after pause (strict)", _get("correctness", "all_ok"), _bool, False),
    ("... treating null as false/0 (lenient)", _get("correctness", "all_lenient_ok"), _bool, False),
    ("workflows in the sidebar", _get("sidebar", "workflows_seen"), _num, False),
    ("GraphQL errors in workspace frames", _get("workspace", "errors"), _num, False),
]


SYNTHETIC_ROWS = [
    ("time until the sidebar lists every workflow as running", _get("sidebar_all_running_s"), lambda v: "never (timed out)" if v == -1 else _ms(v), True),
    ("workflows listed in the sidebar", _get("sidebar_workflows_listed"), _num, False),
    ("time to first sidebar frame", _get("sidebar", "first_frame_s"), _ms, True),
    ("workflows sending updates during the window", _get("sidebar", "workflows_updating"), _num, False),
    ("updates per workflow in the window (p50)", _get("sidebar", "updates_per_workflow", "p50"), _num, False),
    ("updates per workflow the schedulers published", _get("sidebar", "expected_updates_per_workflow"), _num, False),
    ("sidebar latency p50", _get("sidebar", "latency_s", "p50"), _ms, True),
    ("sidebar latency p95", _get("sidebar", "latency_s", "p95"), _ms, True),
    ("sidebar latency p99", _get("sidebar", "latency_s", "p99"), _ms, True),
    ("sidebar latency max", _get("sidebar", "latency_s", "max"), _ms, True),
    ("UI server's share of sidebar latency p50", _get("sidebar", "server_latency_s", "p50"), _ms, True),
    ("UI server's share of sidebar latency p99", _get("sidebar", "server_latency_s", "p99"), _ms, True),
    ("sidebar frames / bytes in the window", lambda p: (_get("sidebar", "window_frames")(p), _get("sidebar", "window_bytes")(p)), lambda v: "–" if v[0] is None else f"{v[0]:,} / {_kb(v[1])}", False),
    ("server CPU s per s, streaming", _get("stream", "cpu_per_s"), _cpu, True),
    ("server peak RSS, streaming", _get("stream", "rss_peak"), _mb, True),
    ("server peak RSS, burst (clients' start until every workflow is listed)", _get("burst", "rss_peak"), _mb, True),
    ("server threads, streaming", _get("stream", "threads"), _num, False),
    ("sockets to schedulers while streaming", _get("stream", "scheduler_sockets"), _num, False),
    ("idle CPU s per s (no client)", _get("idle", "cpu_per_s"), _cpu, True),
    ("idle RSS (no client)", _get("idle", "rss_peak"), _mb, True),
    ("idle sockets to schedulers (no client)", _get("idle", "scheduler_sockets"), _num, False),
    ("GraphQL errors in sidebar frames", _get("sidebar", "errors"), _num, False),
    ("workspace clients: time to first frame with task proxies (max)", lambda p: max((v for v in p.get("workspace_first_tasks_s") or [] if v is not None), default=None), _ms, True),
    ("workspace clients: burst frame size", lambda p: max((v for v in p.get("workspace_burst_bytes") or [] if v is not None), default=None), _mb, True),
    ("workspace latency p50 / p99", lambda p: (_get("workspace", "latency_s", "p50")(p), _get("workspace", "latency_s", "p99")(p)), lambda v: "–" if v[0] is None else f"{_ms(v[0])} / {_ms(v[1])}", False),
    ("UI server's share of workspace latency p50 / p99", lambda p: (_get("workspace", "server_latency_s", "p50")(p), _get("workspace", "server_latency_s", "p99")(p)), lambda v: "–" if v[0] is None else f"{_ms(v[0])} / {_ms(v[1])}", False),
]


def _ratio(ours: Any, reference: Any) -> str:
    if not isinstance(ours, (int, float)) or not isinstance(reference, (int, float)):
        return ""
    if isinstance(ours, bool) or isinstance(reference, bool):
        return ""
    if ours == 0:
        return "∞" if reference else ""
    return f"{reference / ours:,.1f}×"


def _mismatches(phase: dict[str, Any]) -> str:
    parts = []
    for check in (phase.get("correctness") or {}).get("clients", [])[:1]:
        for name in ("taskProxies", "familyProxies", "jobs", "edges"):
            entry = check.get(name) or {}
            bits = []
            if entry.get("missing"):
                bits.append(f"{entry['missing']} missing")
            if entry.get("extra"):
                bits.append(f"{entry['extra']} extra")
            if entry.get("differing"):
                fields = ", ".join(f"{k} {v}" for k, v in sorted(entry["fields"].items()))
                bits.append(f"{entry['differing']} differ ({fields})")
            if bits:
                parts.append(f"{name} of {entry.get('http')}: " + "; ".join(bits))
    return "; ".join(parts) or "none"


def render(results: list[dict[str, Any]], intro: str = "") -> str:
    out = ["# Benchmarks: this server vs the reference cylc-uiserver", ""]
    if intro:
        out += [intro.rstrip("\n"), ""]
    out += [
        "Generated by `benchmarks/report.py` from the JSON files under `benchmarks/results/`.",
        "Ratio = reference ÷ ours: above 1 means ours is faster / smaller / cheaper.",
        "See `benchmarks/README.md` for how each figure is measured and its caveats.",
        "",
    ]
    for result in results:
        machine = result["machine"]
        workload = result["workload"]
        out += [
            f"## Workload `{workload['name']}`: {workload['description']}",
            "",
            f"- date: {machine['date_utc']}; machine: {machine['nproc']} CPUs ({machine['cpu_model']}), "
            f"{machine['memory_bytes'] / 1024**3:.0f} GiB, Linux {machine['kernel']}",
            f"- versions: Python {machine['python']}, cylc-flow {machine['cylc_flow']} "
            f"(reference venv {machine['cylc_flow_reference_venv']}), cylc-uiserver {machine['cylc_uiserver']}, "
            f"ours {machine['ours']}",
            f"- command: `{result['command']}`",
            f"- windows: idle {result['settings']['idle']:g} s after a {result['settings']['warmup']:g} s warm-up, "
            f"streaming {result['settings']['stream']:g} s; schedulers started in {workload.get('start_s', 0):.1f} s",
        ]
        floor = workload.get("snapshot_floor")
        if floor:
            out.append(
                f"- scheduler floor: `pb_entire_workflow` straight from the scheduler took "
                f"{floor['min_s'] * 1000:,.0f} ms at best ({floor['bytes'] / MB:.1f} MB), before any UI server work"
            )
        out.append("")
        by_clients: dict[int, dict[str, dict[str, Any]]] = {}
        for phase in result["phases"]:
            by_clients.setdefault(phase["clients"], {})[phase["server"]] = phase
        synthetic = workload["name"].startswith("synthetic")
        rows = SYNTHETIC_ROWS if synthetic else ROWS
        for n_clients, phases in sorted(by_clients.items()):
            ours = phases.get("ours", {})
            reference = phases.get("reference", {})
            out += ["### 1 sidebar client" if synthetic else f"### {n_clients} workspace client(s) + 1 sidebar client", ""]
            for name, phase in (("ours", ours), ("reference", reference)):
                if phase.get("failed"):
                    out += [f"- **{name} failed**: `{phase['failed']}`" + (
                        f" ({phase['recovered_from_log']})" if phase.get("recovered_from_log") else "")]
            out.append("")
            out += ["| figure | ours | reference | ratio |", "|---|---:|---:|---:|"]
            for label, getter, formatter, ratio in rows:
                a, b = getter(ours), getter(reference)
                out.append(
                    f"| {label} | {formatter(a)} | {formatter(b)} | {_ratio(a, b) if ratio else ''} |"
                )
            out.append("")
            if not synthetic:
                out += [
                    f"Store differences after pause (first client), ours: {_mismatches(ours)}.",
                    f"Reference: {_mismatches(reference)}.",
                    "",
                ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=Path(__file__).parent / "RESULTS.md")
    parser.add_argument("--notes", type=Path, help="markdown appended after the tables")
    parser.add_argument("--intro", type=Path, help="markdown placed before the tables")
    args = parser.parse_args(argv)
    results = [json.loads(path.read_text()) for path in args.results]
    text = render(results, args.intro.read_text() if args.intro else "")
    if args.notes:
        text += "\n" + args.notes.read_text()
    args.output.write_text(text)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
