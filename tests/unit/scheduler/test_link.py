"""The REQ client, SUB subscriber and key loading, against real CurveZMQ sockets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import zmq
import zmq.asyncio

from uiserver.scheduler.client import SchedulerClient
from uiserver.scheduler.errors import (
    KeyLoadError,
    ReplyError,
    RequestTimeout,
    SchedulerError,
    SchedulerRequestError,
)
from uiserver.scheduler.keys import CurveKeys, load_certificate, load_keys
from uiserver.scheduler.messages import PbEntireWorkflow, TPDeltas
from uiserver.scheduler.pacer import HAVE_EPOLL, ReadPacer
from uiserver.scheduler.subscriber import SchedulerSubscriber

CERT = """#   ****  Generated on 2026-01-01 by pyzmq  ****
#   ZeroMQ CURVE **Secret** Certificate
#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

metadata
curve
    public-key = "{public}"
    secret-key = "{secret}"
"""


def write_service_dir(path: Path, public: bytes, secret: bytes) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "client.key_secret").write_text(
        CERT.format(public=public.decode(), secret=secret.decode())
    )
    (path / "server.key").write_text(
        "metadata\ncurve\n    public-key = \"%s\"\n" % public.decode()
    )
    return path


@pytest.fixture
def server_keys() -> tuple[bytes, bytes]:
    return zmq.curve_keypair()


@pytest.fixture
def client_keys(server_keys) -> CurveKeys:
    # Cylc's local client keypair is a copy of the server's (protocol §2.1).
    public, secret = server_keys
    return CurveKeys(public, secret, public)


@pytest.fixture
async def context():
    ctx = zmq.asyncio.Context()
    yield ctx
    ctx.destroy(linger=0)


class FakeScheduler:
    """A CURVE REP socket answering each request with the next scripted reply."""

    def __init__(self, ctx: zmq.asyncio.Context, keys: tuple[bytes, bytes]) -> None:
        self.sock = ctx.socket(zmq.REP)
        self.sock.linger = 0
        self.sock.curve_server = True
        self.sock.curve_publickey, self.sock.curve_secretkey = keys
        self.port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.replies: list[bytes | None] = []
        self.requests: list[dict] = []
        #: Cleared, requests are read but not answered until it is set again.
        self.answering = asyncio.Event()
        self.answering.set()
        self.task = asyncio.create_task(self._serve())

    async def _serve(self) -> None:
        while True:
            self.requests.append(json.loads(await self.sock.recv()))
            reply = self.replies.pop(0)
            if reply is None:
                # Never answer: the REP socket is now stuck, as a hung
                # scheduler's would be; replace it to serve the next client.
                await asyncio.sleep(3600)
            await self.answering.wait()
            await self.sock.send(reply)

    def close(self) -> None:
        self.task.cancel()
        self.sock.close(linger=0)


def curve_publisher(context, server_keys) -> tuple[zmq.asyncio.Socket, int]:
    """A CURVE-server PUB socket bound to a free port on 127.0.0.1, and the port."""
    pub = context.socket(zmq.PUB)
    pub.linger = 0
    pub.curve_server = True
    pub.curve_publickey, pub.curve_secretkey = server_keys
    return pub, pub.bind_to_random_port("tcp://127.0.0.1")


async def test_load_keys_reads_zpl_certificates(tmp_path, server_keys):
    service = write_service_dir(tmp_path, *server_keys)
    keys = load_keys(service)
    assert keys == CurveKeys(server_keys[0], server_keys[1], server_keys[0])


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "missing"),
        ("metadata\ncurve\n", "no public-key"),
        ('curve\n    public-key = "tooshort"\n', "not a 40-character Z85 key"),
        (b"\xff\xfe", "cannot read"),
    ],
)
def test_bad_certificates_raise_key_load_error(tmp_path, content, message):
    path = tmp_path / "client.key_secret"
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(KeyLoadError, match=message):
        load_certificate(path)


def test_secret_key_required_for_client(tmp_path, server_keys):
    write_service_dir(tmp_path, *server_keys)
    (tmp_path / "client.key_secret").write_text(
        'curve\n    public-key = "%s"\n' % server_keys[0].decode()
    )
    with pytest.raises(KeyLoadError, match="no secret-key"):
        load_keys(tmp_path)


async def test_request_envelope_and_json_reply(context, server_keys, client_keys):
    fake = FakeScheduler(context, server_keys)
    fake.replies.append(b'{"data": ["api", "graphql"], "cylc_version": "8.5.4"}')
    client = SchedulerClient(context, "127.0.0.1", fake.port, client_keys, timeout=5)
    try:
        assert await client.request("api", auth_user="alice") == ["api", "graphql"]
        sent = fake.requests[0]
        assert sent["command"] == "api" and sent["args"] == {}
        assert sent["meta"]["auth_user"] == "alice"
        assert sent["meta"]["comms_method"] == "zmq"
    finally:
        client.close()
        fake.close()


async def test_client_closes_its_socket_when_idle(context, server_keys, client_keys):
    fake = FakeScheduler(context, server_keys)
    fake.replies += [b'{"data": %d}' % i for i in range(8)]
    client = SchedulerClient(
        context, "127.0.0.1", fake.port, client_keys, timeout=5, idle_close=0.3
    )
    try:
        assert not client.connected  # opened by the first request, not before
        # Requests closer together than idle_close keep the one socket,
        # although the first request's timer fires in the middle of them.
        for i in range(5):
            assert await client.request("api") == i
            await asyncio.sleep(0.1)
        assert client.connected and client.opened == 1
        await asyncio.sleep(0.6)
        assert not client.connected
        # The next request opens a new socket and is answered as before.
        assert await client.request("api") == 5
        assert client.connected and client.opened == 2
        client.close()
        assert not client.connected
    finally:
        client.close()
        fake.close()


async def test_close_idle_closes_now_but_not_under_a_request(context, server_keys, client_keys):
    fake = FakeScheduler(context, server_keys)
    fake.replies += [b'{"data": 1}', b'{"data": 2}']
    client = SchedulerClient(context, "127.0.0.1", fake.port, client_keys, timeout=5, idle_close=60)
    try:
        assert await client.request("api") == 1
        assert client.connected
        client.close_idle()
        assert not client.connected
        # A request in flight keeps its socket (REQ must see its reply).
        fake.answering.clear()
        pending = asyncio.create_task(client.request("api"))
        while len(fake.requests) < 2:
            await asyncio.sleep(0.01)
        client.close_idle()
        assert client.connected
        fake.answering.set()
        assert await pending == 2 and client.opened == 2
    finally:
        client.close()
        fake.close()


async def test_pb_replies_json_errors_empty_and_corrupt(context, server_keys, client_keys):
    fake = FakeScheduler(context, server_keys)
    snapshot = PbEntireWorkflow()
    snapshot.workflow.id = "~u/w"
    fake.replies += [
        snapshot.SerializeToString(),
        b'{"error": {"message": "Protocol message AllDeltas has no \\"time\\" field."}}',
        b"",
        b"\x0a\xff\xff",
    ]
    client = SchedulerClient(context, "127.0.0.1", fake.port, client_keys, timeout=5)
    try:
        assert (await client.entire_workflow()).workflow.id == "~u/w"
        with pytest.raises(SchedulerRequestError, match="has no \"time\" field"):
            await client.data_elements("task_proxies")
        empty = await client.data_elements("task_proxies")
        assert isinstance(empty, TPDeltas) and not empty.ListFields()
        with pytest.raises(ReplyError, match="corrupt protobuf"):
            await client.entire_workflow()
        assert fake.requests[1]["args"] == {"element_type": "task_proxies"}
    finally:
        client.close()
        fake.close()


async def test_timeout_resets_socket_so_next_request_works(context, server_keys, client_keys):
    fake = FakeScheduler(context, server_keys)
    fake.replies.append(None)  # swallow the first request
    client = SchedulerClient(context, "127.0.0.1", fake.port, client_keys, timeout=0.3)
    try:
        with pytest.raises(RequestTimeout, match="no reply"):
            await client.request("api")
        # The fake is stuck like a hung scheduler; a new one on the same port
        # stands in for the scheduler coming back.
        fake.close()
        fake2 = FakeScheduler(context, server_keys)
        fake2.replies.append(b'{"data": 1}')
        client2 = SchedulerClient(context, "127.0.0.1", fake2.port, client_keys, timeout=5)
        client.endpoint = client2.endpoint
        assert await asyncio.wait_for(client.request("api"), 5) == 1
        client2.close()
        fake2.close()
    finally:
        client.close()


async def test_wrong_keys_time_out_instead_of_hanging(context, server_keys):
    fake = FakeScheduler(context, server_keys)
    other_public, other_secret = zmq.curve_keypair()
    wrong = CurveKeys(other_public, other_secret, other_public)  # wrong server key
    client = SchedulerClient(context, "127.0.0.1", fake.port, wrong, timeout=0.3)
    try:
        with pytest.raises(RequestTimeout):
            await client.request("api")
    finally:
        client.close()
        fake.close()


async def test_subscriber_awaits_messages_by_topic(context, server_keys, client_keys):
    pub, port = curve_publisher(context, server_keys)
    sub = SchedulerSubscriber(context, "127.0.0.1", port, client_keys, {b"all", b"shutdown"})
    try:
        await sub.wait_connected(5)
        assert sub._monitor is None  # two ZMQ sockets freed once connected
        # The subscription reaches the publisher just after the handshake.
        for _ in range(50):
            await pub.send_multipart([b"all", b"x"])
            try:
                topic, payload = await asyncio.wait_for(sub.recv(), 0.1)
                break
            except TimeoutError:
                continue
        assert (topic, payload) == (b"all", b"x")
        await pub.send_multipart([b"tasks", b"ignored"])
        await pub.send_multipart([b"all", b"a", b"3 frames: skipped"])
        await pub.send_multipart([b"shutdown", b"REQUEST(NOW)"])
        assert await asyncio.wait_for(sub.recv(), 5) == (b"shutdown", b"REQUEST(NOW)")
        sub.set_topics({b"workflow", b"shutdown"})
        assert sub.topics == {b"workflow", b"shutdown"}
    finally:
        sub.close()
        pub.close(linger=0)


@pytest.mark.skipif(not HAVE_EPOLL, reason="batched reading needs epoll")
async def test_paced_subscribers_are_read_together(context, server_keys, client_keys):
    """Two schedulers' messages published apart within one window are read in one pass."""
    pacer = ReadPacer(0.3)
    pubs, subs = [], []
    try:
        for _ in range(2):
            pub, sub = await _connected_pair(
                context, server_keys, client_keys, topic=b"workflow", pacer=pacer
            )
            pubs.append(pub)
            subs.append(sub)
        assert len(pacer) == 2

        async def next_news(sub: SchedulerSubscriber) -> tuple[bytes, int]:
            # A late "hello" from the warm-up may come first.
            while True:
                _topic, payload = await sub.recv(5)
                if payload != b"hello":
                    return payload, pacer.passes

        readers = [asyncio.ensure_future(next_news(sub)) for sub in subs]
        await asyncio.sleep(0.05)
        await pubs[0].send_multipart([b"workflow", b"one"])
        await asyncio.sleep(0.1)
        await pubs[1].send_multipart([b"workflow", b"two"])
        (one, pass_one), (two, pass_two) = await asyncio.gather(*readers)
        assert (one, two) == (b"one", b"two")
        # Published 0.1 s apart, read in one pass.
        assert pass_one == pass_two
    finally:
        for sub in subs:
            sub.close()
        for pub in pubs:
            pub.close(linger=0)
        pacer.close()
    assert len(pacer) == 0


async def test_subscriber_reports_rejected_keys(context, server_keys):
    pub, port = curve_publisher(context, server_keys)
    other_public, other_secret = zmq.curve_keypair()
    sub = SchedulerSubscriber(
        context, "127.0.0.1", port, CurveKeys(other_public, other_secret, other_public), {b"all"}
    )
    try:
        with pytest.raises((RequestTimeout, SchedulerError)):
            await sub.wait_connected(0.5)
    finally:
        sub.close()
        pub.close(linger=0)


async def _connected_pair(context, server_keys, client_keys, topic=b"all", pacer=None):
    """A curve PUB and a SchedulerSubscriber on ``topic`` that has received one message."""
    pub, port = curve_publisher(context, server_keys)
    sub = SchedulerSubscriber(context, "127.0.0.1", port, client_keys, {topic}, pacer=pacer)
    await sub.wait_connected(5)
    # A pacer may hold a message for its window before recv() sees it.
    wait = 0.1 + (pacer.window if pacer is not None else 0)
    for _ in range(50):
        await pub.send_multipart([topic, b"hello"])
        try:
            await sub.recv(wait)
            break
        except TimeoutError:
            continue
    else:
        raise AssertionError("the subscription never reached the publisher")
    return pub, sub


async def test_a_handler_takes_messages_while_recv_waits(context, server_keys, client_keys):
    """Handled messages never wake recv() but restart its silence; a declined one is
    what recv() returns, and the messages after it wait for it."""
    pub, sub = await _connected_pair(context, server_keys, client_keys)
    loop = asyncio.get_running_loop()
    handled: list[bytes] = []
    order: list[bytes] = []

    def handler(topic: bytes, payload: bytes) -> bool:
        if payload == b"stop":
            return False
        handled.append(payload)
        order.append(payload)
        return True

    sub.handle_at_once(handler)
    try:
        waiting = asyncio.ensure_future(sub.recv(0.5))
        for index in range(5):
            await asyncio.sleep(0.2)
            await pub.send_multipart([b"all", b"%d" % index])
        # 1 s of messages 0.2 s apart: longer than the timeout, and no timeout.
        await asyncio.sleep(0.1)
        assert handled == [b"0", b"1", b"2", b"3", b"4"] and not waiting.done()
        last = loop.time()
        with pytest.raises(TimeoutError):
            await waiting
        assert loop.time() - last >= 0.35
        # A declined message is the next recv()'s, in order.
        waiting = asyncio.ensure_future(sub.recv(5))
        for payload in (b"a", b"stop", b"c"):
            await pub.send_multipart([b"all", payload])
        assert await waiting == (b"all", b"stop")
        order.append(b"stop")
        assert b"c" not in handled  # held back behind "stop"
        waiting = asyncio.ensure_future(sub.recv(5))
        async with asyncio.timeout(5):
            while b"c" not in handled:
                await asyncio.sleep(0.01)
        assert order[-3:] == [b"a", b"stop", b"c"] and not waiting.done()
        # Without a handler, recv() gets everything again.
        sub.handle_at_once(None)
        waiting.cancel()
        await pub.send_multipart([b"all", b"plain"])
        assert await sub.recv(5) == (b"all", b"plain")
    finally:
        sub.close()
        pub.close(linger=0)


async def test_subscriber_timeout_counts_from_each_call(context, server_keys, client_keys):
    pub, sub = await _connected_pair(context, server_keys, client_keys)
    loop = asyncio.get_running_loop()
    try:
        # Messages keep coming inside the timeout: no TimeoutError, although
        # the first wait's timer fires in the middle of them and re-arms.
        for index in range(8):
            async def later(i=index):
                await asyncio.sleep(0.05)
                await pub.send_multipart([b"all", b"%d" % i])
            sender = asyncio.ensure_future(later())
            assert await sub.recv(0.3) == (b"all", b"%d" % index)
            await sender
        # Then silence: the timeout runs from the call, not from the first wait.
        started = loop.time()
        with pytest.raises(TimeoutError):
            await sub.recv(0.2)
        assert 0.19 <= loop.time() - started < 1.0
        # And it still receives after a timeout.
        await pub.send_multipart([b"all", b"after"])
        assert await sub.recv(5) == (b"all", b"after")
    finally:
        sub.close()
        pub.close(linger=0)


async def test_subscriber_reads_messages_queued_while_busy(context, server_keys, client_keys):
    pub, sub = await _connected_pair(context, server_keys, client_keys)
    try:
        for index in range(20):
            await pub.send_multipart([b"all", b"%d" % index])
        await asyncio.sleep(0.2)  # all queued in ZMQ before anyone reads
        got = [await sub.recv(1) for _ in range(20)]
        assert got == [(b"all", b"%d" % i) for i in range(20)]
    finally:
        sub.close()
        pub.close(linger=0)


async def test_subscriber_idle_does_not_spin(context, server_keys, client_keys):
    pub, sub = await _connected_pair(context, server_keys, client_keys)
    with pytest.raises(TimeoutError):
        await sub.recv(0.05)  # read to empty: ZMQ signals the next arrival
    calls = 0
    original = sub._on_readable

    def counting() -> None:
        nonlocal calls
        calls += 1
        original()

    loop = asyncio.get_running_loop()
    loop.remove_reader(sub._fd)
    loop.add_reader(sub._fd, counting)
    try:
        # A message arrives while nobody is waiting: the callback must still
        # clear the FD's signal, or a level-triggered selector would call it
        # back thousands of times until the next read.
        await pub.send_multipart([b"all", b"unread"])
        await asyncio.sleep(0.3)
        assert 1 <= calls < 10
        assert await sub.recv(1) == (b"all", b"unread")
        with pytest.raises(TimeoutError):
            await sub.recv(0.2)
        assert calls < 10
    finally:
        sub.close()
        pub.close(linger=0)


async def test_subscriber_close_cancels_a_pending_recv(context, server_keys, client_keys):
    pub, sub = await _connected_pair(context, server_keys, client_keys)
    waiting = asyncio.ensure_future(sub.recv())
    await asyncio.sleep(0.05)
    sub.close()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, 1)
    pub.close(linger=0)
