"""Arena garbage per task proxy merge, by how often merged proxies are rebuilt.

    .venv/bin/python -m benchmarks.merge_garbage

upb allocates every merged value in the message's arena and frees nothing
until the arena dies. This parses a snapshot of 5,000 task proxies (each with
two prerequisites of two conditions and four outputs), adopts the proxies as
the replica does, applies 12 rounds of cylc-like updates (state, stamp,
replaced prerequisites, one output, one job) and reports the anonymous RSS
grown per merge, never rebuilding and rebuilding every 64, 16, 8 and 4
merges. Each setting runs in a fresh interpreter. The figures are quoted in
``notes.md`` ("Memory: merge garbage") and behind ``COMPACT_AFTER``.
"""

from __future__ import annotations

import subprocess
import sys

PROXIES = 5000
ROUNDS = 12


def _rss_anon_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon"):
                return int(line.split()[1])
    raise RuntimeError("no RssAnon in /proc/self/status")


def measure(every: int) -> float:
    """Bytes of RSS per merge when each proxy is rebuilt after ``every`` merges (0: never)."""
    import gc

    from uiserver.scheduler.messages import PbEntireWorkflow, PbTaskProxy
    from uiserver.store.merge import merge_update
    from uiserver.store.replica import _copy

    built = PbEntireWorkflow()
    for i in range(PROXIES):
        proxy = built.task_proxies.add(
            id=f"~u/w//{i}/task{i:05d}", stamp="x" * 60, state="waiting", name=f"task{i:05d}",
            cycle_point=str(i),
        )
        for _ in range(2):
            prerequisite = proxy.prerequisites.add(expression="c0 & c1", satisfied=False)
            for c in range(2):
                prerequisite.conditions.add(
                    task_proxy=f"{i}/dep{c}", expr_alias=f"c{c}", req_state="succeeded", satisfied=False,
                )
        for output in ("submitted", "started", "succeeded", "failed"):
            proxy.outputs[output].label = output
            proxy.outputs[output].message = output
    raw = built.SerializeToString()
    del built
    snapshot = PbEntireWorkflow()
    snapshot.ParseFromString(raw)
    store = {proxy.id: proxy for proxy in snapshot.task_proxies}  # adopted, as load_snapshot does
    del snapshot
    merges: dict[str, int] = {}
    gc.collect()
    before = _rss_anon_kb()
    states = ["preparing", "submitted", "running", "succeeded"]
    for round_ in range(ROUNDS):
        for proxy_id, proxy in list(store.items()):
            update = PbTaskProxy(
                id=proxy_id, stamp=f"{proxy_id}@{round_}.123456", state=states[round_ % 4], job_submits=round_,
            )
            for _ in range(2):
                prerequisite = update.prerequisites.add(expression="c0 & c1", satisfied=bool(round_ % 2))
                for c in range(2):
                    prerequisite.conditions.add(
                        task_proxy=f"{round_}/dep{c}", expr_alias=f"c{c}", req_state="succeeded",
                        satisfied=True, message="satisfied naturally",
                    )
            update.outputs["started"].label = "started"
            update.outputs["started"].satisfied = True
            update.outputs["started"].time = float(round_)
            update.jobs.append(f"{proxy_id}/{round_:02d}")
            merge_update("task_proxies", proxy, update)
            if every:
                count = merges.get(proxy_id, 0) + 1
                if count >= every:
                    store[proxy_id] = _copy(proxy)
                    count = 0
                merges[proxy_id] = count
    gc.collect()
    return (_rss_anon_kb() - before) * 1024 / (PROXIES * ROUNDS)


def main() -> None:
    if len(sys.argv) > 1:
        print(f"{measure(int(sys.argv[1])):.0f}")
        return
    for every in (0, 64, 16, 8, 4):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.merge_garbage", str(every)],
            capture_output=True, text=True, check=True, timeout=300,
        ).stdout.strip()
        label = "never rebuilt" if every == 0 else f"rebuilt every {every}"
        print(f"{label:>17}: {out} B per merge")


if __name__ == "__main__":
    main()
