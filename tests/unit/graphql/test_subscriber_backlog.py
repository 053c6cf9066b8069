"""A slow subscriber's backlog: merged once, then one item per workflow until it drains."""

from __future__ import annotations

import asyncio
import logging

from uiserver.graphql.frames import DeltaFrame
from uiserver.graphql.subscriptions import Subscriber
from uiserver.scheduler.messages import PbWorkflow


class FakeShared:
    """What a :class:`Subscriber` asks of its shared subscription."""

    name = "Sidebar"

    def __init__(self) -> None:
        self.resolved = 0
        self.bursts: dict[str, str] = {}

    def resolve(self, frame: DeltaFrame) -> bytes:
        self.resolved += 1
        (workflow,) = frame.updated["workflow"]
        return f"{frame.workflow_id}:{workflow.status}".encode()

    def burst_bytes(self, workflow_id: str) -> bytes:
        return f"{workflow_id}:burst:{self.bursts.get(workflow_id, '')}".encode()

    def detach(self, subscriber: Subscriber) -> None:
        pass


def frame(workflow_id: str, status: str) -> DeltaFrame:
    return DeltaFrame(workflow_id, updated={"workflow": [PbWorkflow(id=workflow_id, status=status)]})


def push(subscriber: Subscriber, workflow_id: str, status: str) -> None:
    subscriber.push(workflow_id, f"{workflow_id}:{status}".encode(), frame(workflow_id, status))


async def drain(subscriber: Subscriber) -> list[bytes]:
    out = []
    while subscriber.pending:
        out.append(await asyncio.wait_for(subscriber.__anext__(), 1))
    return out


def test_backlog_of_more_workflows_than_max_pending_is_merged_once(caplog):
    async def main() -> None:
        shared = FakeShared()
        subscriber = Subscriber(shared, max_pending=4, max_merged=1000)
        ids = [f"~u/w{n}" for n in range(20)]
        with caplog.at_level(logging.INFO, logger="uiserver.graphql.subscriptions"):
            for round_ in range(5):
                for workflow_id in ids:
                    push(subscriber, workflow_id, f"s{round_}")
                    assert subscriber.pending <= len(ids)
        assert subscriber.coalesced == 1
        assert len([r for r in caplog.records if "fell behind" in r.getMessage()]) == 1
        assert subscriber.pending == len(ids)
        # Every workflow arrives once, at its latest status.
        assert await drain(subscriber) == [f"{w}:s4".encode() for w in ids]

        # Drained: shared bytes again, no merging, no resolving.
        resolved = shared.resolved
        push(subscriber, ids[0], "fresh")
        assert await drain(subscriber) == [f"{ids[0]}:fresh".encode()]
        assert shared.resolved == resolved

        # Behind again (the consumer read part of the backlog meanwhile):
        # items queued after the merge are merged into too.
        for workflow_id in ids[:6]:
            push(subscriber, workflow_id, "a")
        assert subscriber.coalesced == 2
        await asyncio.wait_for(subscriber.__anext__(), 1)  # ids[0] leaves the queue
        push(subscriber, ids[0], "b")
        push(subscriber, ids[0], "c")
        assert subscriber.pending == 6
        resolved = shared.resolved
        assert await drain(subscriber) == [f"{w}:a".encode() for w in ids[1:6]] + [f"{ids[0]}:c".encode()]
        # Only the item merged into after the merge is resolved again; the
        # others keep the bytes they were queued with.
        assert shared.resolved == resolved + 1

    asyncio.run(main())


def test_burst_queued_while_behind_is_taken_afresh_after_a_change():
    async def main() -> None:
        shared = FakeShared()
        subscriber = Subscriber(shared, max_pending=2, max_merged=1000)
        for workflow_id in ("~u/a", "~u/b", "~u/c"):
            push(subscriber, workflow_id, "x")
        assert subscriber.coalesced == 1
        shared.bursts["~u/d"] = "old"
        subscriber.push_burst("~u/d", shared.burst_bytes("~u/d"))
        shared.bursts["~u/d"] = "new"
        push(subscriber, "~u/d", "y")  # after the burst's bytes were taken
        out = await drain(subscriber)
        assert out[-1] == b"~u/d:burst:new"
        assert subscriber.coalesced == 1

    asyncio.run(main())


def test_burst_bytes_are_sent_as_queued_when_nothing_follows():
    async def main() -> None:
        shared = FakeShared()
        subscriber = Subscriber(shared, max_pending=32, max_merged=1000)
        subscriber.push_burst("~u/a", b"prepared")
        shared.bursts["~u/a"] = "later"
        assert await drain(subscriber) == [b"prepared"]

    asyncio.run(main())
