"""Memory of the steps behind a large burst and of start-up imports, each in a fresh interpreter.

    .venv/bin/python -m benchmarks.memory_steps [--tasks 50000]

Prints, for ``notes.md`` ("Burst memory with 50,000 task proxies" and
"Imports only jsonschema uses"):

- ``imports``: resident memory and modules added by importing Jupyter
  Server's app, ``jsonschema`` and the event logger, blocking only
  ``rfc3987_syntax`` and then every module in ``launch.UNNEEDED_MODULES``;
- ``definitions``: what holding a parsed snapshot's task definitions costs
  when each is copied into its own arena (as the replica once did) or adopted;
- ``resolve``: the growth while the web UI's workspace burst is resolved and
  then encoded, with every list resolved whole and with lists over 512
  objects encoded as they resolve (the server's setting), and how long it took.

Resident memory is read from ``/proc/self/statm`` with the collector off,
glibc's mmap threshold pinned as the server pins it, and the freed heap given
back (``malloc_trim``) before each measured step.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

_PRELUDE = """
import ctypes, gc, json, sys, time
libc = ctypes.CDLL("libc.so.6")
libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD, as uiserver/heap.py
def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6
"""

_IMPORTS = """
from uiserver.launch import UNNEEDED_MODULES
blocked = UNNEEDED_MODULES if sys.argv[1] == "all" else ("rfc3987_syntax",)
for name in blocked:
    sys.modules.setdefault(name, None)
before, modules = rss_mb(), len(sys.modules)
import jupyter_server.serverapp, jsonschema, jupyter_events
print(json.dumps({"mb": rss_mb() - before, "modules": len(sys.modules) - modules}))
"""

_SNAPSHOT = """
from benchmarks.synthetic.model import SyntheticWorkflow
from uiserver.scheduler.messages import PbEntireWorkflow
raw = SyntheticWorkflow(name="w", owner="u", n_tasks=int(sys.argv[2]), seed=1).entire().SerializeToString()
entire = PbEntireWorkflow()
entire.ParseFromString(raw)
del raw
gc.collect()
gc.disable()
# Give back what the model freed, so that growth shows as growth, not reuse.
libc.malloc_trim(0)
"""

_DEFINITIONS = _SNAPSHOT + """
before, started = rss_mb(), time.perf_counter()
if sys.argv[1] == "copy":
    held = {}
    for task in entire.tasks:
        copy = type(task)()
        copy.CopyFrom(task)
        held[copy.id] = copy
else:
    held = {task.id: task for task in entire.tasks}
print(json.dumps({"mb": rss_mb() - before, "s": time.perf_counter() - started, "tasks": len(held)}))
"""

_RESOLVE = _SNAPSHOT + """
from graphql import parse
from tests.ui_documents import WORKFLOW_SUBSCRIPTION
from uiserver.graphql.context import ResolveContext
from uiserver.graphql.encoding import encode_result
from uiserver.graphql.fastexec import compile_operation
from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.schema import graphql_schema
from uiserver.store import Store
store = Store()
workflow_id = entire.workflow.id
store.ensure(workflow_id).load_snapshot(entire)
del entire
frame = DeltaFrame.burst(store.get(workflow_id))
libc.malloc_trim(0)
compiled = compile_operation(graphql_schema, parse(WORKFLOW_SUBSCRIPTION), None, {"workflowId": workflow_id})
context = ResolveContext(store=store, owner="u", strip_null=True, strip_result=True)
context.encode_lists_over = int(sys.argv[1])
before, started = rss_mb(), time.perf_counter()
result = compiled.execute(frame, context, strip_nulls=True)
resolved, resolved_s = rss_mb() - before, time.perf_counter() - started
data = encode_result({"data": result.data})
print(json.dumps({
    "resolved_mb": resolved, "encoded_mb": rss_mb() - before,
    "s": time.perf_counter() - started, "resolve_s": resolved_s, "frame_mb": len(data) / 1e6,
}))
"""


def _run(script: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PRELUDE + script, *args],
        capture_output=True, text=True, timeout=600, check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50_000)
    args = parser.parse_args(argv)
    tasks = str(args.tasks)
    figures = {
        "imports": {which: _run(_IMPORTS, which) for which in ("rfc3987_syntax", "all")},
        "definitions": {how: _run(_DEFINITIONS, how, tasks) for how in ("copy", "adopt")},
        "resolve": {f"encode_lists_over={over}": _run(_RESOLVE, over, tasks) for over in ("0", "512")},
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
