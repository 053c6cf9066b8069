"""Merged backlogs: one merged frame leaves a client where all the frames would."""

from __future__ import annotations

import random

from uiserver.graphql.coalesce import frame_size, merge_frames
from uiserver.graphql.frames import DeltaFrame
from uiserver.scheduler.messages import PbJob, PbTaskProxy, PbWorkflow
from uiserver.store import merge_update

WID = "~u/w"


class Client:
    """A client store applying frames as the web UI does (web-api §7.5)."""

    def __init__(self) -> None:
        self.elements: dict[str, dict[str, object]] = {}

    def apply(self, frame: DeltaFrame) -> None:
        for section in (frame.added, frame.updated):
            workflows = section.get("workflow")
            if workflows and workflows[0].reloaded:
                self.elements = {"workflow": self.elements.get("workflow", {})}
        for name, elements in frame.added.items():
            store = self.elements.setdefault(name, {})
            for element in elements:
                copy = type(element)()
                copy.CopyFrom(element)
                store[element.id] = copy
        for name, elements in frame.updated.items():
            store = self.elements.setdefault(name, {})
            for element in elements:
                if element.id in store:
                    merge_update(name, store[element.id], element)
                else:
                    copy = type(element)()
                    copy.CopyFrom(element)
                    store[element.id] = copy
        for name, ids in frame.pruned.items():
            for key in ids:
                self.elements.get(name, {}).pop(key, None)

    def dump(self) -> dict[str, dict[str, bytes]]:
        return {
            name: {key: e.SerializeToString(deterministic=True) for key, e in elements.items()}
            for name, elements in self.elements.items()
            if elements
        }


def _random_frame(rng: random.Random, step: int, gone: set[str]) -> DeltaFrame:
    """A batch as a scheduler sends it: a pruned id is only ever added again,
    never updated, until it is re-added (``gone`` tracks that)."""
    frame = DeltaFrame(WID, time=float(step))
    ids = [f"{WID}//1/t{i}" for i in range(6)]
    states = ["waiting", "submitted", "running", "succeeded", "failed"]
    added = rng.sample(ids, rng.randint(0, 2))
    gone.difference_update(added)
    for key in added:
        frame.added.setdefault("task_proxies", []).append(
            PbTaskProxy(id=key, state=rng.choice(states), is_held=rng.random() < 0.5,
                        jobs=[f"{key}/01"])
        )
    for key in rng.sample([i for i in ids if i not in gone], rng.randint(0, 3)):
        update = PbTaskProxy(id=key)
        if rng.random() < 0.7:
            update.state = rng.choice(states)
        if rng.random() < 0.3:
            update.is_held = rng.random() < 0.5
        if rng.random() < 0.3:
            update.jobs.append(f"{key}/0{step % 9 + 1}")
        frame.updated.setdefault("task_proxies", []).append(update)
    for key in rng.sample(ids, rng.randint(0, 1)):
        frame.pruned.setdefault("task_proxies", []).append(key)
        gone.add(key)
    if rng.random() < 0.3:
        frame.updated["jobs"] = [PbJob(id=f"{WID}//1/t0/01", state=rng.choice(states))]
    if rng.random() < 0.5:
        workflow = PbWorkflow(id=WID, last_updated=float(step))
        workflow.state_totals["running"] = step
        frame.updated["workflow"] = [workflow]
    return frame


def test_merged_frames_converge_like_sequential_frames():
    for seed in range(200):
        rng = random.Random(seed)
        base = Client()
        gone: set[str] = set()
        base.apply(_random_frame(rng, 0, gone))
        frames = [_random_frame(rng, step, gone) for step in range(1, rng.randint(2, 12))]
        if rng.random() < 0.2:
            # A snapshot in the middle: everything before it is forgotten.
            reload = DeltaFrame(WID, added={
                "workflow": [PbWorkflow(id=WID, reloaded=True)],
                "task_proxies": [PbTaskProxy(id=f"{WID}//1/t9", state="waiting")],
            })
            frames.insert(rng.randrange(len(frames)), reload)

        sequential = _clone(base)
        for frame in frames:
            sequential.apply(frame)

        merged = frames[0]
        for frame in frames[1:]:
            merged = merge_frames(merged, frame)
        coalesced = _clone(base)
        coalesced.apply(merged)
        assert coalesced.dump() == sequential.dump(), f"seed {seed}"


def _clone(client: Client) -> Client:
    copy = Client()
    for name, elements in client.elements.items():
        store = copy.elements.setdefault(name, {})
        for key, element in elements.items():
            clone = type(element)()
            clone.CopyFrom(element)
            store[key] = clone
    return copy


def test_merge_leaves_inputs_unchanged_and_bounds_size():
    first = DeltaFrame(WID, added={"task_proxies": [PbTaskProxy(id="a", state="waiting")]})
    before = first.added["task_proxies"][0].SerializeToString()
    merged = first
    for step in range(100):
        merged = merge_frames(
            merged, DeltaFrame(WID, updated={"task_proxies": [PbTaskProxy(id="a", job_submits=step)]})
        )
    assert first.added["task_proxies"][0].SerializeToString() == before
    assert frame_size(merged) == 1
    assert merged.added["task_proxies"][0].job_submits == 99
    assert merged.added["task_proxies"][0].state == "waiting"


def test_prune_then_add_keeps_the_new_element_and_shutdown_sticks():
    first = DeltaFrame(WID, pruned={"jobs": ["j"]}, shutdown=True)
    second = DeltaFrame(WID, added={"jobs": [PbJob(id="j", state="running")]})
    merged = merge_frames(first, second)
    assert merged.pruned == {}
    assert [job.state for job in merged.added["jobs"]] == ["running"]
    assert merged.shutdown
