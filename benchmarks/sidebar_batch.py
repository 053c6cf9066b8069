"""What one sidebar update costs the server's Python, without its I/O.

    .venv/bin/python -m benchmarks.sidebar_batch [--workflows 200] [--steps 5]

Holds ``--workflows`` synthetic workflows at summary level, as the sidebar
does, and for every ``workflow`` message of ``--steps`` batches of each:
parses it, merges it into the replica, resolves the web UI's sidebar
subscription against the change with the compiled executor and encodes the
frame. Prints the mean time per batch, which ``notes.md`` ("Where the
sidebar's CPU goes") sets against the ~1 ms of CPU the server spends per
batch in the benchmark.
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
    args = parser.parse_args(argv)
    models = [
        SyntheticWorkflow(name=f"w{i}", owner="u", n_tasks=100, seed=i) for i in range(args.workflows)
    ]
    store = Store()
    for model in models:
        store.ensure(model.id).load_workflow(WDeltas(time=1.0, added=model.entire().workflow))
    messages = [
        (model.id, model.step().workflow.SerializeToString())
        for _ in range(args.steps)
        for model in models
    ]
    compiled = compile_operation(graphql_schema, parse(APP_SUBSCRIPTION), None, {})
    assert compiled is not None, "the sidebar's document must take the compiled path"
    gc.disable()  # as the server resolves frames (graphql/gcpause.py)
    frames = 0
    started = time.perf_counter()
    for workflow_id, payload in messages:
        wdeltas = WDeltas()
        wdeltas.ParseFromString(payload)
        replica = store.get(workflow_id)
        change = replica.apply_workflow_deltas(wdeltas)
        if change is None:
            continue
        context = ResolveContext(store=store, owner="u", strip_null=True, strip_result=True)
        result = compiled.execute(DeltaFrame.from_change(change, replica), context, strip_nulls=True)
        encode_result({"data": result.data})
        frames += 1
    elapsed = time.perf_counter() - started
    print(f"{frames} of {len(messages)} batches made frames; {elapsed / len(messages) * 1e6:.0f} µs per batch")


if __name__ == "__main__":
    main()
