"""A toy scheduler producing a snapshot and random-ish delta batches, for store tests."""

from __future__ import annotations

import random

from uiserver.scheduler.messages import (
    ELEMENT_CLASSES,
    DELTA_CLASSES,
    AllDeltas,
    Message,
    PbEdge,
    PbEntireWorkflow,
    PbFamily,
    PbFamilyProxy,
    PbJob,
    PbTask,
    PbTaskProxy,
    PbWorkflow,
)
from uiserver.store import ELEMENT_STORE_TYPES, stamps_checksum

__all__ = ["W", "Simulator", "eid", "jid", "nsid", "tpid"]

W = "~u/w"
STATES = ("waiting", "preparing", "submitted", "running", "succeeded", "failed")
# task -> first parent family; FAM's own parent is root.
PARENTS = {"a": "root", "b": "FAM", "c": "FAM", "d": "root"}
CHAIN = ("a", "b", "c", "d")
ALL_TYPES = (*ELEMENT_STORE_TYPES, "workflow")


def nsid(name: str) -> str:
    return f"{W}//$namespace|{name}"


def tpid(cycle: int, name: str) -> str:
    return f"{W}//{cycle}/{name}"


def jid(cycle: int, name: str, submit: int) -> str:
    return f"{W}//{cycle}/{name}/{submit:02d}"


def eid(c1: int, n1: str, c2: int, n2: str) -> str:
    return f"{W}//$edge|{c1}/{n1}|{c2}/{n2}"


class Simulator:
    """Keeps the stamps a scheduler would hold, so every batch carries true checksums."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.time = 1000.0
        #: type -> id -> checksum string (stamp; id for edges).
        self.expected: dict[str, dict[str, str]] = {t: {} for t in ELEMENT_STORE_TYPES}
        self.cycles: list[int] = []
        self.jobs: dict[str, list[str]] = {}  # task proxy id -> job ids
        self.edges: dict[str, tuple[str, str]] = {}  # edge id -> (source, target)
        self.log_count = 0

    def stamp(self, element_id: str) -> str:
        return f"{element_id}@{self.time}"

    def snapshot(self) -> PbEntireWorkflow:
        entire = PbEntireWorkflow()
        wf = entire.workflow
        wf.CopyFrom(PbWorkflow(id=W, stamp=self.stamp(W), name="w", status="running",
                               last_updated=self.time, api_version=5))
        for name, parent in PARENTS.items():
            entire.tasks.append(PbTask(id=nsid(name), stamp=self.stamp(nsid(name)),
                                       name=name, first_parent=nsid(parent)))
            wf.tasks.append(nsid(name))
        for name in ("root", "FAM"):
            family = PbFamily(id=nsid(name), stamp=self.stamp(nsid(name)), name=name)
            if name == "FAM":
                family.first_parent = nsid("root")
            entire.families.append(family)
            wf.families.append(nsid(name))
        for name in ("tasks", "families"):
            for element in getattr(entire, name):
                self.expected[name][element.id] = element.stamp
        return entire

    # -- batch building --------------------------------------------------

    def batch(self) -> AllDeltas:
        """Advance time and return the next batch (only non-empty sub-deltas)."""
        self.time += 1.0
        self._added: dict[str, list[Message]] = {t: [] for t in ELEMENT_STORE_TYPES}
        self._updated: dict[str, dict[str, Message]] = {t: {} for t in ALL_TYPES}
        self._pruned: dict[str, list[str]] = {t: [] for t in ELEMENT_STORE_TYPES}
        rng = self.rng
        if len(self.cycles) > 3:
            self._prune_cycle(self.cycles.pop(0))
        if len(self.cycles) < 2 or rng.random() < 0.4:
            self._new_cycle()
        for _ in range(rng.randint(0, 4)):
            self._change_task()
        if rng.random() < 0.5:
            self._summarise()
        if rng.random() < 0.2:
            # An update for an id nobody has: both sides must skip it.
            self._upd("task_proxies", tpid(999, "zz")).state = "running"
        return self._finish()

    def _add(self, type_name: str, element: Message) -> None:
        self._added[type_name].append(element)
        key = element.id if type_name == "edges" else element.stamp
        self.expected[type_name][element.id] = key

    def _upd(self, type_name: str, element_id: str, stamp: bool = True) -> Message:
        partial = self._updated[type_name].get(element_id)
        if partial is None:
            partial = ELEMENT_CLASSES[type_name](id=element_id)
            self._updated[type_name][element_id] = partial
        if stamp:
            partial.stamp = self.stamp(element_id)
            if element_id in self.expected.get(type_name, {}):
                self.expected[type_name][element_id] = partial.stamp
        return partial

    def _new_cycle(self) -> None:
        cycle = (self.cycles[-1] + 1) if self.cycles else 1
        self.cycles.append(cycle)
        wf = self._upd("workflow", W)
        root, fam = tpid(cycle, "root"), tpid(cycle, "FAM")
        self._add("family_proxies", PbFamilyProxy(
            id=root, stamp=self.stamp(root), family=nsid("root"), cycle_point=str(cycle),
            state="waiting", child_families=[fam],
            child_tasks=[tpid(cycle, "a"), tpid(cycle, "d")]))
        self._add("family_proxies", PbFamilyProxy(
            id=fam, stamp=self.stamp(fam), family=nsid("FAM"), first_parent=root,
            child_tasks=[tpid(cycle, "b"), tpid(cycle, "c")]))
        for family in ("root", "FAM"):
            self._upd("families", nsid(family)).proxies.append(tpid(cycle, family))
        wf.family_proxies.extend([root, fam])
        for name, parent in PARENTS.items():
            proxy = tpid(cycle, name)
            self._add("task_proxies", PbTaskProxy(
                id=proxy, stamp=self.stamp(proxy), task=nsid(name), name=name,
                cycle_point=str(cycle), state="waiting", is_held=False,
                first_parent=tpid(cycle, parent), namespace=["root", name]))
            self._upd("tasks", nsid(name)).proxies.append(proxy)
            wf.task_proxies.append(proxy)
            self.jobs[proxy] = []
        links = [(cycle, CHAIN[i], cycle, CHAIN[i + 1]) for i in range(3)]
        if cycle - 1 in self.cycles:
            links.append((cycle - 1, "d", cycle, "a"))
        for c1, n1, c2, n2 in links:
            edge_id, src, tgt = eid(c1, n1, c2, n2), tpid(c1, n1), tpid(c2, n2)
            self._add("edges", PbEdge(id=edge_id, source=src, target=tgt))
            self.edges[edge_id] = (src, tgt)
            wf.edges.edges.append(edge_id)
            # Appending an edge id does not touch the proxy's stamp.
            for proxy in (src, tgt):
                self._upd("task_proxies", proxy, stamp=False).edges.append(edge_id)

    def _change_task(self) -> None:
        rng = self.rng
        cycle = rng.choice(self.cycles)
        name = rng.choice(CHAIN)
        proxy = tpid(cycle, name)
        if proxy in (p.id for p in self._added["task_proxies"]):
            return  # keep to one kind of change per new proxy
        state = rng.choice(STATES)
        partial = self._upd("task_proxies", proxy)
        partial.state = state
        partial.is_held = rng.random() < 0.3
        if rng.random() < 0.5:
            del partial.prerequisites[:]
            for _ in range(rng.randint(0, 2)):
                prereq = partial.prerequisites.add(expression="0", satisfied=rng.random() < 0.5)
                prereq.conditions.add(task_proxy=f"{cycle}/a", req_state="succeeded")
        # Map values are always sent complete.
        output = partial.outputs[rng.choice(("submitted", "started", "succeeded"))]
        output.label = "o"
        output.message = state
        output.satisfied = rng.random() < 0.5
        output.time = self.time
        if state == "submitted":
            jobs = self.jobs[proxy]
            job = jid(cycle, name, len(jobs) + 1)
            jobs.append(job)
            self._add("jobs", PbJob(id=job, stamp=self.stamp(job), submit_num=len(jobs),
                                    state="submitted", task_proxy=proxy, messages=["submitted"]))
            partial.jobs.append(job)
            partial.job_submits = len(jobs)
            self._upd("workflow", W).jobs.append(job)
            if rng.random() < 0.5:
                # Added and updated in one batch, as the scheduler does.
                self._upd("jobs", job).state = "running"
        elif self.jobs[proxy] and rng.random() < 0.7:
            job = self._upd("jobs", self.jobs[proxy][-1])
            job.state = state
            job.messages.extend(["submitted", state][: rng.randint(1, 2)])

    def _summarise(self) -> None:
        rng = self.rng
        cycle = rng.choice(self.cycles)
        for family in ("root", "FAM"):
            if tpid(cycle, family) in self.expected["family_proxies"]:
                partial = self._upd("family_proxies", tpid(cycle, family))
                partial.states.extend(rng.sample(STATES, 2))
                for state in STATES:
                    partial.state_totals[state] = rng.randint(0, 3)
        wf = self._upd("workflow", W)
        if rng.random() < 0.3:
            wf.states_updated = True  # states and totals may be absent: all cleared
        else:
            wf.states.extend(rng.sample(STATES, 3))
            wf.state_totals["running"] = rng.randint(0, 9)
            wf.latest_state_tasks["running"].task_proxies.append(f"{cycle}/a")
        for _ in range(rng.randint(0, 4)):
            self.log_count += 1
            wf.log_records.add(level="WARNING", message=f"log {self.log_count}")

    def _prune_cycle(self, cycle: int) -> None:
        gone_proxies = {tpid(cycle, name) for name in CHAIN}
        for proxy in sorted(gone_proxies):
            self._pruned["task_proxies"].append(proxy)
            self._pruned["jobs"].extend(self.jobs.pop(proxy))
        for edge_id, (src, tgt) in list(self.edges.items()):
            if src in gone_proxies or tgt in gone_proxies:
                self._pruned["edges"].append(edge_id)
                del self.edges[edge_id]
        self._pruned["family_proxies"].extend([tpid(cycle, "FAM"), tpid(cycle, "root")])
        for type_name, ids in self._pruned.items():
            for element_id in ids:
                self.expected[type_name].pop(element_id, None)
                # The scheduler drops updates for elements pruned in the batch.
                self._updated[type_name].pop(element_id, None)

    def _finish(self) -> AllDeltas:
        deltas = AllDeltas()
        wf = self._upd("workflow", W)
        wf.last_updated = self.time
        for name in ELEMENT_STORE_TYPES:
            added, updated, pruned = self._added[name], self._updated[name], self._pruned[name]
            if not (added or updated or pruned):
                continue
            delta = getattr(deltas, name)
            delta.CopyFrom(DELTA_CLASSES[name](
                time=self.time, added=added, updated=list(updated.values()), pruned=pruned,
                reloaded=False, checksum=stamps_checksum(self.expected[name].values())))
        deltas.workflow.time = self.time
        deltas.workflow.updated.CopyFrom(wf)
        deltas.workflow.reloaded = False
        return deltas

