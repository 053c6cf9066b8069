"""What one sidebar update costs the server's Python, without its I/O.

    .venv/bin/python -m benchmarks.sidebar_batch [--workflows 200] [--steps 5]
    .venv/bin/python -m benchmarks.sidebar_batch --workflows 100 --steps 2 --pause 0.02 --group 1,2,4,8,16

Holds ``--workflows`` synthetic workflows at summary level, as the sidebar
does, and for every ``workflow`` message of ``--steps`` batches of each:
parses it, merges it into the replica, resolves the web UI's sidebar
subscription against the change with the compiled executor and encodes the
frame. Prints the mean time per batch, which ``notes.md`` ("Where the
sidebar's CPU goes") sets against the ~1 ms of CPU the server spends per
batch in the benchmark.

With ``--pause`` it sleeps that long per batch between groups of
``--group`` batches, as a server does between wake-ups, and prints the
thread's CPU time per batch for each group size: what a batch costs from
cold caches, and how much of that handling several per wake-up saves
(``notes.md``, "Reading the sidebar's sockets in batches").
"""

from __future__ import annotations

import argparse
import gc
import time

from graphql import parse

from benchmarks.synthetic.model import SyntheticWorkflow
from tests.ui_documents import APP_SUBSCRIPTION
from uiserver.graphql.context import ResolveContext
from uiserver.graphql.encoding import encode_result
from uiserver.graphql.fastexec import compile_operation
from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.schema import graphql_schema
from uiserver.scheduler.messages import WDeltas
from uiserver.store import Store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds of sleep per batch between groups")
    parser.add_argument("--group", default="1", help="batches handled per wake-up (comma-separated sizes)")
    args = parser.parse_args(argv)
    models = [
        SyntheticWorkflow(name=f"w{i}", owner="u", n_tasks=100, seed=i) for i in range(args.workflows)
    ]
    store = Store()
    for model in models:
        store.ensure(model.id).load_workflow(WDeltas(time=1.0, added=model.entire().workflow))
    compiled = compile_operation(graphql_schema, parse(APP_SUBSCRIPTION), None, {})
    assert compiled is not None, "the sidebar's document must take the compiled path"

    def handle(workflow_id: str, payload: bytes) -> bool:
        wdeltas = WDeltas()
        wdeltas.ParseFromString(payload)
        replica = store.get(workflow_id)
        change = replica.apply_workflow_deltas(wdeltas)
        if change is None:
            return False
        context = ResolveContext(store=store, owner="u", strip_null=True, strip_result=True)
        result = compiled.execute(DeltaFrame.from_change(change, replica), context, strip_nulls=True)
        encode_result({"data": result.data})
        return True

    def next_batches() -> list[tuple[str, bytes]]:
        """The next ``--steps`` batches of every workflow, as (id, payload)."""
        return [
            (model.id, model.step().workflow.SerializeToString())
            for _ in range(args.steps)
            for model in models
        ]

    gc.disable()  # as the server resolves frames (graphql/gcpause.py)
    if args.pause <= 0:
        messages = next_batches()
        frames = 0
        started = time.perf_counter()
        for workflow_id, payload in messages:
            frames += handle(workflow_id, payload)
        elapsed = time.perf_counter() - started
        print(f"{frames} of {len(messages)} batches made frames; {elapsed / len(messages) * 1e6:.0f} µs per batch")
        return
    for size in (int(n) for n in args.group.split(",")):
        # Fresh batches for every group size: a replica skips a batch it has seen.
        messages = next_batches()
        cpu = 0.0
        for start in range(0, len(messages), size):
            time.sleep(args.pause * size)
            before = time.thread_time()
            for workflow_id, payload in messages[start:start + size]:
                handle(workflow_id, payload)
            cpu += time.thread_time() - before
        print(f"{size:3d} per wake-up: {cpu / len(messages) * 1e6:4.0f} µs of CPU per batch")


if __name__ == "__main__":
    main()
