"""How long the server takes to resolve and encode the web UI's workspace burst.

Times the ``Workflow`` subscription (web-api §6.5) on an initial burst of a
synthetic workflow of 8,000 task proxies, 4,000 jobs and 1,600 family proxies,
with graphql-core and with the compiled executor, and writes the figures:

    .venv/bin/python -m benchmarks.resolve_burst --out benchmarks/results/resolve-burst.json
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphql import execute, parse

from tests.ui_documents import WORKFLOW_SUBSCRIPTION
from tests.unit.graphql._big import WF, big_workflow
from uiserver import __version__
from uiserver.graphql.awaitable import is_awaitable
from uiserver.graphql.context import ResolveContext
from uiserver.graphql.fastexec import compile_operation
from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.schema import graphql_schema
from uiserver.graphql.strip import strip_nulls
from uiserver.graphql.encoding import encode_result
from uiserver.store import Store


def best_of(runs: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``runs`` timed calls, and the last result."""
    fastest, result = float("inf"), None
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = run()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest, result


def measure(runs: int) -> dict[str, Any]:
    store = Store()
    store.ensure(WF).load_snapshot(big_workflow())
    frame = DeltaFrame.burst(store.get(WF))
    document = parse(WORKFLOW_SUBSCRIPTION)
    variables = {"workflowId": WF}
    started = time.perf_counter()
    compiled = compile_operation(graphql_schema, document, None, variables)
    compile_s = time.perf_counter() - started
    assert compiled is not None, "the web UI's document must take the compiled path"

    def context() -> ResolveContext:
        return ResolveContext(store=store, owner="u", strip_null=True, strip_result=True)

    core_s, core = best_of(runs, lambda: execute(
        graphql_schema, document, root_value=frame, context_value=context(),
        variable_values=variables, is_awaitable=is_awaitable,
    ))
    strip_s, stripped = best_of(runs, lambda: strip_nulls(core.data))
    fast_s, fast = best_of(runs, lambda: compiled.execute(frame, context(), strip_nulls=True))
    assert fast.data == stripped, "the executors disagree"
    encode_s, encoded = best_of(runs, lambda: encode_result({"data": fast.data}))
    return {
        "task_proxies": len(fast.data["deltas"]["added"]["taskProxies"]),
        "graphql_core_s": core_s + strip_s,
        "compiled_s": fast_s,
        "speedup": (core_s + strip_s) / fast_s,
        "encode_s": encode_s,
        "frame_bytes": len(encoded),
        "compile_ms": compile_s * 1000,
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="best of this many")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/resolve-burst.json"))
    args = parser.parse_args()
    figures = measure(args.runs)
    figures.update(
        date_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        python=platform.python_version(),
        ours=__version__,
        command=f".venv/bin/python -m benchmarks.resolve_burst --runs {args.runs} --out {args.out}",
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
