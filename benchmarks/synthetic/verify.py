"""Check a synthetic workflow against our own replica: no checksum may mismatch.

    .venv/bin/python -m benchmarks.synthetic.verify --tasks 50000 --steps 200

Feeds the model's snapshot and batches, serialised and parsed as on the wire,
into ``uiserver.store.WorkflowReplica`` and fails on the first mismatch or if
the replica's elements differ from the model's store at the end.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks.synthetic.model import SyntheticWorkflow
from uiserver.scheduler.messages import AllDeltas, PbEntireWorkflow
from uiserver.store.replica import WorkflowReplica

__all__ = ["verify"]


def verify(tasks: int, steps: int, changes: int, seed: int) -> dict[str, float | int]:
    """Run ``steps`` batches through a replica; raise AssertionError on any mismatch."""
    model = SyntheticWorkflow("verify", "user", tasks, seed=seed, changes_per_step=changes)
    replica = WorkflowReplica(model.id)
    t0 = time.perf_counter()
    replica.load_snapshot(PbEntireWorkflow.FromString(model.entire().SerializeToString()))
    t_snapshot = time.perf_counter() - t0
    for number in range(steps):
        # Batch times must not precede the snapshot, or the replica skips them as stale.
        wire = model.step(now=model.workflow.last_updated + 1.0).SerializeToString()
        change, mismatched = replica.apply(AllDeltas.FromString(wire))
        assert change is not None, f"batch {number} was not applied"
        assert not mismatched, f"batch {number}: checksum mismatch in {mismatched}"
    for name, elements in model.store.items():
        theirs = replica.elements[name]
        assert set(theirs) == set(elements), f"{name}: ids differ"
        for key, element in elements.items():
            assert theirs[key] == element, f"{name} {key} differs:\n{theirs[key]}\nvs\n{element}"
    return {"tasks": tasks, "steps": steps, "snapshot_s": t_snapshot, "total_s": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(verify(args.tasks, args.steps, args.changes, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
