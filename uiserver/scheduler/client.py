"""Asyncio REQ client for a scheduler's command channel (protocol §3)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any

import zmq
import zmq.asyncio

from .errors import ReplyError, RequestTimeout, SchedulerRequestError
from .keys import CurveKeys
from .messages import DELTA_CLASSES, DecodeError, PbEntireWorkflow, TypeDeltas

__all__ = ["SchedulerClient", "apply_curve"]

log = logging.getLogger("uiserver.scheduler")

# A JSON error envelope starts with "{" (0x7B); a valid PbEntireWorkflow or
# *Deltas message never can (that byte would be field 15, wire type "group").
_JSON_START = 0x7B


def apply_curve(sock: zmq.Socket, keys: CurveKeys) -> None:
    """Make ``sock`` a CurveZMQ client with ``keys`` (protocol §2.3)."""
    sock.curve_publickey = keys.client_public
    sock.curve_secretkey = keys.client_secret
    sock.curve_serverkey = keys.server_public


class SchedulerClient:
    """Sends requests to one scheduler's REP socket and awaits the replies.

    Requests on one client are serialised: a REQ socket alternates strictly
    between send and receive, and the scheduler answers one request at a time
    anyway. Every request has a timeout. After a timeout or a cancellation the
    socket is closed and reopened, because a REQ socket that missed its reply
    is stuck (protocol §3.5).

    The socket is opened on the first request and closed again after
    ``idle_close`` seconds without one: a summary link asks once at connect
    and then only after a silence, and a socket held for nothing costs a
    file descriptor, a ZMQ socket slot (1023 per context by default) and
    about 35 kB. Reopening costs one CurveZMQ handshake.
    """

    def __init__(
        self,
        context: zmq.asyncio.Context,
        host: str,
        port: int,
        keys: CurveKeys,
        *,
        timeout: float = 5.0,
        idle_close: float | None = 10.0,
        prog: str = "uiserver",
    ) -> None:
        self.endpoint = f"tcp://{host}:{port}"
        self.timeout = timeout
        self._context = context
        self._keys = keys
        self._meta = {"prog": prog, "host": socket.gethostname(), "comms_method": "zmq"}
        self._lock = asyncio.Lock()
        self._socket: zmq.asyncio.Socket | None = None
        self._closed = False
        self.idle_close = idle_close
        self._last_used = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None
        #: Requests sent, for tests and metrics.
        self.requests = 0
        #: Sockets opened so far (1 + reopenings), for tests and metrics.
        self.opened = 0

    def _open(self) -> zmq.asyncio.Socket:
        self.opened += 1
        sock = self._context.socket(zmq.REQ)
        sock.linger = 0
        apply_curve(sock, self._keys)
        sock.connect(self.endpoint)
        return sock

    def _reset(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def close(self) -> None:
        """Close the socket; later requests raise :class:`RequestTimeout` at once."""
        self._closed = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self._reset()

    def close_idle(self) -> None:
        """Close the socket now unless a request is in flight; the next request reopens it.

        For a caller that knows it will not ask again soon: the same as the
        ``idle_close`` timer firing at once.
        """
        if self._lock.locked() or self._closed:
            return
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self._reset()

    @property
    def connected(self) -> bool:
        """Whether a socket is open now (it closes itself when idle)."""
        return self._socket is not None

    def _used(self) -> None:
        """Note a finished request; arm the idle timer if it is not armed."""
        if self.idle_close is None or self._closed:
            return
        loop = asyncio.get_running_loop()
        self._last_used = loop.time()
        if self._idle_timer is None:
            self._idle_timer = loop.call_at(self._last_used + self.idle_close, self._on_idle)

    def _on_idle(self) -> None:
        # One timer for many requests: when it fires early, it re-arms for
        # the latest request's deadline instead of being moved per request.
        self._idle_timer = None
        if self._closed or self._socket is None or self.idle_close is None:
            return
        loop = asyncio.get_running_loop()
        due = self._last_used + self.idle_close
        if self._lock.locked() or loop.time() < due:
            self._idle_timer = loop.call_at(max(due, loop.time() + 0.1), self._on_idle)
        else:
            self._reset()

    @property
    def closed(self) -> bool:
        return self._closed

    async def _exchange(self, payload: bytes, timeout: float | None) -> bytes:
        if self._closed:
            raise RequestTimeout(f"client for {self.endpoint} is closed")
        limit = self.timeout if timeout is None else timeout
        async with self._lock:
            if self._socket is None:
                self._socket = self._open()
            sock = self._socket
            done = False
            try:
                async with asyncio.timeout(limit):
                    await sock.send(payload)
                    reply = await sock.recv()
                done = True
                return reply
            except TimeoutError:
                raise RequestTimeout(
                    f"no reply from {self.endpoint} within {limit:g}s"
                ) from None
            finally:
                self.requests += 1
                if not done:
                    self._reset()
                self._used()

    def _envelope(self, command: str, args: dict | None, auth_user: str | None) -> bytes:
        meta = dict(self._meta)
        if auth_user is not None:
            meta["auth_user"] = auth_user
        return json.dumps({"command": command, "args": args or {}, "meta": meta}).encode()

    async def request(
        self,
        command: str,
        args: dict | None = None,
        *,
        timeout: float | None = None,
        auth_user: str | None = None,
    ) -> Any:
        """Send a JSON command and return the ``data`` of the reply.

        :raises RequestTimeout: no reply in time (socket reset).
        :raises SchedulerRequestError: the scheduler sent its error envelope.
        :raises ReplyError: the reply was not the expected JSON.
        """
        reply = await self._exchange(self._envelope(command, args, auth_user), timeout)
        return _parse_json_reply(reply, command)

    async def request_bytes(
        self, command: str, args: dict | None = None, *, timeout: float | None = None
    ) -> bytes:
        """Send a ``pb_*`` command and return the raw protobuf reply.

        A zero-length reply is a valid empty message. A reply starting with
        ``{`` is the JSON error envelope and raises.
        """
        reply = await self._exchange(self._envelope(command, args, None), timeout)
        if reply[:1] == bytes([_JSON_START]):
            _parse_json_reply(reply, command)  # raises with the scheduler's message
            raise ReplyError(f"{command}: JSON reply where protobuf was expected")
        return reply

    async def entire_workflow(self, *, timeout: float | None = None) -> PbEntireWorkflow:
        """Fetch the whole data store (``pb_entire_workflow``)."""
        data = await self.request_bytes("pb_entire_workflow", timeout=timeout)
        return _decode(PbEntireWorkflow, data, "pb_entire_workflow")

    async def data_elements(self, element_type: str, *, timeout: float | None = None) -> TypeDeltas:
        """Fetch every element of one type (``pb_data_elements``), for a resync."""
        cls = DELTA_CLASSES[element_type]  # KeyError for "all": never ask for it
        data = await self.request_bytes(
            "pb_data_elements", {"element_type": element_type}, timeout=timeout
        )
        return _decode(cls, data, f"pb_data_elements {element_type}")

    async def graphql(
        self,
        request_string: str,
        variables: dict | None = None,
        *,
        auth_user: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Run a GraphQL document on the scheduler (used to forward mutations)."""
        return await self.request(
            "graphql",
            {"request_string": request_string, "variables": variables},
            auth_user=auth_user,
            timeout=timeout,
        )


def _parse_json_reply(reply: bytes, command: str) -> Any:
    try:
        message = json.loads(reply)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReplyError(f"{command}: reply is not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise ReplyError(f"{command}: reply is not a JSON object")
    if "data" in message:
        return message["data"]
    error = message.get("error")
    text = error.get("message") if isinstance(error, dict) else None
    raise SchedulerRequestError(str(text or f"{command}: reply has neither data nor error"))


def _decode(cls: type, data: bytes, what: str) -> Any:
    message = cls()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise ReplyError(f"{what}: corrupt protobuf reply ({exc})") from None
    return message
