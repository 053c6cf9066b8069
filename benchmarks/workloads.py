"""The real-scheduler workloads: flow.cylc texts and how many of each to run.

Both are simulation-mode workflows that keep producing deltas for far longer
than a benchmark runs: every task "runs" for a few seconds, the families have
different run lengths so completions are spread out in time, and a queue
limit keeps a steady number of tasks active instead of all at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Workload", "WORKLOADS", "flow_cylc"]


def flow_cylc(
    title: str,
    *,
    families: int,
    per_family: int,
    runahead: int,
    queue_limit: int,
    min_run: int,
    max_run: int,
) -> str:
    """A cycling fan: ``start => <families x per_family tasks> => end``.

    ``start[-P1] => start`` chains the cycles, so ``runahead + 1`` cycles are
    live at once and the store holds about
    ``(runahead + 1) * families * per_family`` task proxies. Family ``k`` runs
    for a length between ``min_run`` and ``max_run`` seconds.
    """
    span = max(max_run - min_run, 0)
    lines = [
        "[meta]",
        f"    title = {title}",
        "[scheduler]",
        "    allow implicit tasks = False",
        "[task parameters]",
        f"    f = 1..{families}",
        f"    m = 1..{per_family}",
        "[scheduling]",
        "    cycling mode = integer",
        "    initial cycle point = 1",
        "    final cycle point = 100000",
        f"    runahead limit = P{runahead}",
        "    [[queues]]",
        "        [[[default]]]",
        f"            limit = {queue_limit}",
        # start/end must not wait behind the fan, or fewer cycles go live.
        "        [[[chain]]]",
        "            limit = 0",
        "            members = start, end",
        "    [[graph]]",
        '        P1 = """',
        "            start[-P1] => start",
        "            start => t<f,m> => end",
        '        """',
        "[runtime]",
        "    [[root]]",
        "        [[[simulation]]]",
        f"            default run length = PT{min_run}S",
        "    [[start, end]]",
        "        [[[simulation]]]",
        "            default run length = PT1S",
    ]
    width = len(str(families))  # cylc zero-pads integer parameter values
    for family in range(1, families + 1):
        run = min_run + (span * (family - 1)) // max(families - 1, 1)
        lines += [
            f"    [[FAM_f{family:0{width}d}]]",
            "        [[[simulation]]]",
            f"            default run length = PT{run}S",
        ]
    lines += [
        "    [[t<f,m>]]",
        # Parameterised inheritance: t_f03_m007 inherits FAM_f03.
        "        inherit = FAM<f>",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Workload:
    """``count`` identical workflows named ``<prefix>NN``."""

    name: str
    prefix: str
    count: int
    flow: str
    description: str

    def workflow_names(self) -> list[str]:
        if self.count == 1:
            return [self.prefix]
        return [f"{self.prefix}{index:02d}" for index in range(1, self.count + 1)]


WORKLOADS: dict[str, Workload] = {
    # 2,000 tasks per cycle, 4 cycles live: about 8,000 task proxies.
    "big": Workload(
        name="big",
        prefix="big",
        count=1,
        flow=flow_cylc(
            "big", families=20, per_family=100, runahead=3,
            queue_limit=100, min_run=2, max_run=12,
        ),
        description="1 workflow, 2,000 tasks per cycle, runahead P3 (about 8,000 task proxies)",
    ),
    # 20 workflows of 200 tasks per cycle, 2 cycles live each.
    "many": Workload(
        name="many",
        prefix="wf",
        count=20,
        flow=flow_cylc(
            "many", families=4, per_family=50, runahead=1,
            queue_limit=10, min_run=4, max_run=16,
        ),
        description="20 workflows, 200 tasks per cycle each, runahead P1",
    ),
    # A quick smoke workload for checking the benchmark itself.
    "tiny": Workload(
        name="tiny",
        prefix="tiny",
        count=1,
        flow=flow_cylc(
            "tiny", families=2, per_family=5, runahead=1,
            queue_limit=5, min_run=1, max_run=3,
        ),
        description="1 workflow, 10 tasks per cycle (smoke test)",
    ),
}
