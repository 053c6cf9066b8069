"""Where the time goes when a real ``big`` scheduler publishes a cycle's batch.

cylc-flow 8.5 publishes the ``big`` workload (2,000 tasks per cycle) rarely:
about one ``all`` message every two minutes, when a cycle spawns, of about
3.7 MB (2,000 task proxies and 4,000 edges added, 4,000 proxies updated).
Every latency sample of ``big`` is such a batch, so its cost in the server
is the floor of that workload's delivery latency.

This script starts the workload under a real scheduler (or reads frames a
previous run saved), records the ``pb_entire_workflow`` reply and the ``all``
messages that follow, then replays them in-process through what the server
does with each one: parse, apply to the replica (checksums verified), build
the frame, resolve the web UI's workspace subscription and encode it. Each
stage is timed, best of ``--runs``, with the collector off as when the
server resolves::

    .venv/bin/python -m benchmarks.big_batch --out benchmarks/results/big-batch.json
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import struct
import tempfile
import time
from pathlib import Path
from typing import Any

from graphql import parse

from benchmarks.workloads import WORKLOADS
from tests.cylc_harness import CylcHarness
from tests.ui_documents import WORKFLOW_SUBSCRIPTION
from uiserver import __version__
from uiserver.graphql.context import ResolveContext
from uiserver.graphql.encoding import encode_result
from uiserver.graphql.fastexec import compile_operation
from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.schema import graphql_schema
from uiserver.scheduler.messages import AllDeltas, PbEntireWorkflow
from uiserver.store import Store


async def capture(settle: float, limit: float, batches: int) -> list[bytes]:
    """The snapshot, then up to ``batches`` ``all`` messages (at most ``limit`` s)."""
    import zmq
    import zmq.asyncio

    from uiserver.scheduler.client import SchedulerClient, apply_curve
    from uiserver.scheduler.keys import load_keys

    harness = CylcHarness(Path(tempfile.mkdtemp(prefix="big-batch-")), play_timeout=300)
    harness.write_workflow("big", WORKLOADS["big"].flow)
    harness.play("big", timeout=300)
    context = zmq.asyncio.Context()
    try:
        await asyncio.sleep(settle)
        view = harness.contact_view("big")
        keys = load_keys(harness.service_dir("big"))
        sub = context.socket(zmq.SUB)
        apply_curve(sub, keys)
        sub.linger = 0
        sub.subscribe(b"all")
        sub.connect(f"tcp://127.0.0.1:{view.pub_port}")
        await asyncio.sleep(1)  # subscribed before the snapshot is taken
        client = SchedulerClient(context, "127.0.0.1", view.port, keys, timeout=60)
        frames = [await client.request_bytes("pb_entire_workflow", timeout=60)]
        client.close()
        deadline = time.monotonic() + limit
        while len(frames) <= batches and time.monotonic() < deadline:
            try:
                _topic, payload = await asyncio.wait_for(sub.recv_multipart(), 1)
            except asyncio.TimeoutError:
                continue
            frames.append(payload)
            print(f"batch of {len(payload) / 1e6:.2f} MB", flush=True)
        sub.close(0)
        return frames
    finally:
        context.term()
        harness.cleanup()


def save(frames: list[bytes], path: Path) -> None:
    with path.open("wb") as out:
        for frame in frames:
            out.write(struct.pack(">I", len(frame)))
            out.write(frame)


def load(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    frames, offset = [], 0
    while offset < len(raw):
        (size,) = struct.unpack_from(">I", raw, offset)
        frames.append(raw[offset + 4:offset + 4 + size])
        offset += 4 + size
    return frames


def replay(frames: list[bytes], runs: int) -> list[dict[str, Any]]:
    """Each batch's stage times (ms, best of ``runs``) and sizes."""
    snapshot = PbEntireWorkflow.FromString(frames[0])
    workflow_id = snapshot.workflow.id
    document = parse(WORKFLOW_SUBSCRIPTION)
    compiled = compile_operation(graphql_schema, document, None, {"workflowId": workflow_id})
    assert compiled is not None
    best: list[dict[str, Any]] = [{} for _ in frames[1:]]
    for _ in range(runs):
        store = Store()
        replica = store.ensure(workflow_id)
        replica.load_snapshot(PbEntireWorkflow.FromString(frames[0]))
        gc.collect()
        gc.disable()
        try:
            for figures, payload in zip(best, frames[1:]):
                t0 = time.perf_counter()
                deltas = AllDeltas.FromString(payload)
                t1 = time.perf_counter()
                change, mismatched = replica.apply(deltas)
                t2 = time.perf_counter()
                assert not mismatched, f"checksum mismatch in {mismatched}"
                if change is None:
                    continue
                frame = DeltaFrame.from_change(change, replica)
                t3 = time.perf_counter()
                context = ResolveContext(store=store, owner="u", strip_null=True, strip_result=True)
                result = compiled.execute(frame, context, strip_nulls=True)
                t4 = time.perf_counter()
                data = encode_result({"data": result.data})
                t5 = time.perf_counter()
                stages = {"parse": t1 - t0, "apply": t2 - t1, "frame": t3 - t2,
                          "resolve": t4 - t3, "encode": t5 - t4, "total": t5 - t0}
                for stage, seconds in stages.items():
                    figures[f"{stage}_ms"] = round(min(figures.get(f"{stage}_ms", 1e9), seconds * 1e3), 1)
                figures["batch_bytes"] = len(payload)
                figures["frame_bytes"] = len(data)
                figures["task_proxies"] = {
                    "added": len(deltas.task_proxies.added), "updated": len(deltas.task_proxies.updated),
                }
        finally:
            gc.enable()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=Path, help="replay frames saved by an earlier run")
    parser.add_argument("--save", type=Path, default=Path("benchmarks/work/big-batch.frames"),
                        help="where captured frames are kept (for --frames)")
    parser.add_argument("--settle", type=float, default=100, help="s before the snapshot")
    parser.add_argument("--limit", type=float, default=300, help="s to wait for batches")
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--runs", type=int, default=15, help="best of this many")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/big-batch.json"))
    args = parser.parse_args()
    if args.frames:
        frames = load(args.frames)
    else:
        frames = asyncio.run(capture(args.settle, args.limit, args.batches))
        args.save.parent.mkdir(parents=True, exist_ok=True)
        save(frames, args.save)
    figures = {
        "snapshot_bytes": len(frames[0]),
        "batches": replay(frames, args.runs),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "ours": __version__,
        "runs": args.runs,
        "command": ".venv/bin/python -m benchmarks.big_batch"
                   + (f" --frames {args.frames}" if args.frames else "") + f" --out {args.out}",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
