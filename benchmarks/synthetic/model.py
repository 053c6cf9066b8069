"""A deterministic fake workflow that produces delta batches like a scheduler.

Each :meth:`SyntheticWorkflow.step` moves some task proxies along
waiting -> submitted -> running -> succeeded -> waiting (a new job each
lap), applies the batch to the model's own store with the same merge rules
as a scheduler (protobuf ``MergeFrom``; repeated id lists appended), and
computes every published type's checksum afterwards (protocol §6.4) with
our own ``uiserver.store.checksum``. Everything but the clock is drawn from
``random.Random(seed)``, so a seed always gives the same sequence of changes.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from uiserver.scheduler import data_messages_pb2 as _pb  # for PbRuntime, not re-exported
from uiserver.scheduler.messages import (
    DELTA_CLASSES, AllDeltas, FPDeltas, JDeltas, PbEntireWorkflow, PbFamily, PbFamilyProxy, PbJob,
    PbTask, PbTaskProxy, PbWorkflow, TPDeltas, WDeltas,
)

PbRuntime = _pb.PbRuntime
from uiserver.store.checksum import type_checksum

__all__ = ["SyntheticWorkflow", "NEXT_STATE"]

#: One lap of a task's life in the model.
NEXT_STATE = {"waiting": "submitted", "submitted": "running", "running": "succeeded", "succeeded": "waiting"}
_JOB_STATE = {"submitted": "submitted", "running": "running", "succeeded": "succeeded"}
CYCLE = "1"


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@dataclass
class SyntheticWorkflow:
    """One fake workflow of ``n_tasks`` task proxies in families of ``per_family``."""

    name: str
    owner: str
    n_tasks: int
    seed: int
    per_family: int = 100
    changes_per_step: int = 10
    host: str = "localhost"
    port: int = 0
    pub_port: int = 0
    store: dict[str, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.id = f"~{self.owner}/{self.name}"
        self.store = {name: {} for name in ("tasks", "families", "task_proxies", "family_proxies", "jobs", "edges")}
        self.states: dict[str, str] = {}
        self.submits: dict[str, int] = {}
        self.workflow = PbWorkflow()
        self._build(time.time())

    # -- ids -----------------------------------------------------------------

    def _def_id(self, name: str) -> str:
        return f"{self.id}//$namespace|{name}"

    def _proxy_id(self, name: str) -> str:
        return f"{self.id}//{CYCLE}/{name}"

    # -- initial store ---------------------------------------------------------

    def _build(self, now: float) -> None:
        n_families = max(1, -(-self.n_tasks // self.per_family))
        families = [f"FAM{index:04d}" for index in range(1, n_families + 1)]
        tasks = [f"t{index:06d}" for index in range(1, self.n_tasks + 1)]
        stamp = f"@{now}"
        root_children = []
        for index, family in enumerate(families):
            members = tasks[index * self.per_family:(index + 1) * self.per_family]
            fdef = PbFamily(
                stamp=self._def_id(family) + stamp, id=self._def_id(family), name=family, depth=1,
                parents=[self._def_id("root")], first_parent=self._def_id("root"),
                child_tasks=[self._def_id(t) for t in members], proxies=[self._proxy_id(family)],
            )
            self.store["families"][fdef.id] = fdef
            fproxy = PbFamilyProxy(
                stamp=self._proxy_id(family) + stamp, id=self._proxy_id(family), cycle_point=CYCLE,
                name=family, family=fdef.id, state="waiting", depth=1,
                first_parent=self._proxy_id("root"), ancestors=[self._proxy_id("root")],
                child_tasks=[self._proxy_id(t) for t in members], is_held=False,
            )
            self.store["family_proxies"][fproxy.id] = fproxy
            root_children.append(fproxy.id)
            for task in members:
                tdef = PbTask(
                    stamp=self._def_id(task) + stamp, id=self._def_id(task), name=task, depth=2,
                    mean_elapsed_time=0.0, proxies=[self._proxy_id(task)],
                    namespace=[task, family, "root"], parents=[fdef.id], first_parent=fdef.id,
                )
                self.store["tasks"][tdef.id] = tdef
                proxy = PbTaskProxy(
                    stamp=self._proxy_id(task) + stamp, id=self._proxy_id(task), task=tdef.id,
                    state="waiting", cycle_point=CYCLE, depth=2, job_submits=0, name=task,
                    namespace=[task, family, "root"], first_parent=fproxy.id,
                    ancestors=[self._proxy_id("root"), fproxy.id], flow_nums="[1]",
                    is_held=False, is_queued=False, is_runahead=False, graph_depth=0,
                    is_retry=False, is_wallclock=False, is_xtriggered=False,
                    runtime=PbRuntime(run_mode="Simulation"),
                )
                self.store["task_proxies"][proxy.id] = proxy
                self.states[proxy.id] = "waiting"
        root_def = PbFamily(
            stamp=self._def_id("root") + stamp, id=self._def_id("root"), name="root", depth=0,
            child_families=[self._def_id(f) for f in families], proxies=[self._proxy_id("root")],
        )
        self.store["families"][root_def.id] = root_def
        root = PbFamilyProxy(
            stamp=self._proxy_id("root") + stamp, id=self._proxy_id("root"), cycle_point=CYCLE,
            name="root", family=root_def.id, state="waiting", depth=0, child_families=root_children,
            is_held=False,
        )
        self.store["family_proxies"][root.id] = root
        self.workflow = PbWorkflow(
            stamp=f"{self.id}@{now}", id=self.id, name=self.name, status="running",
            status_msg="running", host=self.host, port=self.port, pub_port=self.pub_port,
            owner=self.owner, api_version=5, cylc_version="8.5.4", last_updated=now,
            run_mode="simulation", cycling_mode="integer", n_edge_distance=1,
            tasks=list(self.store["tasks"]), families=list(self.store["families"]),
            task_proxies=list(self.store["task_proxies"]),
            family_proxies=list(self.store["family_proxies"]),
            newest_active_cycle_point=CYCLE, oldest_active_cycle_point=CYCLE,
        )
        self.workflow.state_totals.update(self._totals())
        self.workflow.meta.title = f"synthetic {self.name}"

    def set_location(self, host: str, port: int, pub_port: int) -> None:
        """Record the sockets in the workflow element (set before serving)."""
        self.host, self.port, self.pub_port = host, port, pub_port
        self.workflow.host, self.workflow.port, self.workflow.pub_port = host, port, pub_port

    def _totals(self) -> dict[str, int]:
        totals = {state: 0 for state in ("waiting", "submitted", "running", "succeeded")}
        for state in self.states.values():
            totals[state] += 1
        return totals

    # -- snapshots -------------------------------------------------------------

    def entire(self) -> PbEntireWorkflow:
        """The ``pb_entire_workflow`` reply."""
        return PbEntireWorkflow(
            workflow=self.workflow,
            tasks=self.store["tasks"].values(), task_proxies=self.store["task_proxies"].values(),
            jobs=self.store["jobs"].values(), families=self.store["families"].values(),
            family_proxies=self.store["family_proxies"].values(), edges=self.store["edges"].values(),
        )

    def elements(self, element_type: str):
        """The ``pb_data_elements`` reply for one type (None if unknown)."""
        if element_type == "workflow":
            return WDeltas(time=self.workflow.last_updated, added=self.workflow)
        cls = DELTA_CLASSES.get(element_type)
        if cls is None or element_type not in self.store:
            return None
        return cls(time=self.workflow.last_updated, added=self.store[element_type].values())

    # -- batches ---------------------------------------------------------------

    def step(self, now: float | None = None) -> AllDeltas:
        """Advance ``changes_per_step`` random task proxies; return the batch."""
        now = time.time() if now is None else now
        proxies = self.rng.sample(sorted(self.states), min(self.changes_per_step, len(self.states)))
        tp = TPDeltas(time=now)
        jobs = JDeltas(time=now)
        fp = FPDeltas(time=now)
        touched_families: dict[str, str] = {}
        for proxy_id in proxies:
            state = NEXT_STATE[self.states[proxy_id]]
            self.states[proxy_id] = state
            update = PbTaskProxy(id=proxy_id, stamp=f"{proxy_id}@{now}", state=state)
            if state == "submitted":
                number = self.submits.get(proxy_id, 0) + 1
                self.submits[proxy_id] = number
                job_id = f"{proxy_id}/{number:02d}"
                update.job_submits = number
                update.jobs.append(job_id)
                name = proxy_id.rsplit("/", 1)[1]
                jobs.added.append(PbJob(
                    stamp=f"{job_id}@{now}", id=job_id, submit_num=number, state="submitted",
                    task_proxy=proxy_id, submitted_time=_iso(now), job_id=str(self.rng.randrange(1 << 20)),
                    job_runner_name="simulation", platform="localhost", name=name, cycle_point=CYCLE,
                ))
            elif state in ("running", "succeeded"):
                job_id = f"{proxy_id}/{self.submits[proxy_id]:02d}"
                job = PbJob(id=job_id, stamp=f"{job_id}@{now}", state=_JOB_STATE[state])
                if state == "running":
                    job.started_time = _iso(now)
                else:
                    job.finished_time = _iso(now)
                    job.messages.append("succeeded")
                jobs.updated.append(job)
            tp.updated.append(update)
            touched_families[self.store["task_proxies"][proxy_id].first_parent] = state
        for family_id, state in sorted(touched_families.items()):
            # A family's state is the latest state of any of its members (good enough).
            fp.updated.append(PbFamilyProxy(id=family_id, stamp=f"{family_id}@{now}", state=state))
        batch = AllDeltas()
        for name, delta in (("task_proxies", tp), ("jobs", jobs), ("family_proxies", fp)):
            self._apply(name, delta)
            delta.checksum = type_checksum(name, self.store[name])
            getattr(batch, name).CopyFrom(delta)
        workflow = PbWorkflow(id=self.id, stamp=f"{self.id}@{now}", last_updated=now)
        # No workflow.jobs: cylc-flow 8.5 never fills PbWorkflow.jobs (job ids
        # live in each task proxy's jobs list), so neither does the model.
        workflow.state_totals.update(self._totals())
        self.workflow.state_totals.clear()  # state_totals is replaced, not merged (CLEAR_FIELD_MAP)
        self.workflow.MergeFrom(workflow)
        batch.workflow.CopyFrom(WDeltas(time=now, updated=workflow))
        return batch

    def _apply(self, name: str, delta) -> None:
        elements = self.store[name]
        for element in delta.added:
            elements[element.id] = element.__class__()
            elements[element.id].CopyFrom(element)
        for element in delta.updated:
            target = elements.get(element.id)
            if target is None:
                continue
            if name == "jobs" and element.messages:
                del target.messages[:]  # jobs.messages is replaced (CLEAR_FIELD_MAP)
            target.MergeFrom(element)
