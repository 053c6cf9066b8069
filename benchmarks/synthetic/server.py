"""Serve synthetic workflows over the scheduler protocol, many in one process.

    .venv/bin/python -m benchmarks.synthetic.server --home DIR --workflows 200 --tasks 100

For each workflow: ``<home>/cylc-run/<name>/`` with a ``flow.cylc`` (so scans
see a workflow), ``.service/`` with ZPL key files laid out as cylc-flow lays
them out (``server.key``, ``server.key_secret``, ``client.key_secret`` = a copy
of the server's secret file, ``client_public_keys/client_localhost.key``), a
CURVE-server REP socket and PUB socket bound to 127.0.0.1, and a contact file
written last. Every ``--interval`` seconds each workflow publishes one batch
(the per-type topics, then ``all``), staggered so that they do not all fire
together. SIGTERM/SIGINT publish ``shutdown`` and remove the contact files.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import random
import shutil
import signal
import sys
from pathlib import Path

import psutil
import zmq
import zmq.asyncio
import zmq.auth

from benchmarks.synthetic.model import SyntheticWorkflow
from uiserver.scheduler.messages import ELEMENT_TYPES

__all__ = ["SyntheticScheduler", "serve"]

VERSION = "8.5.4"
API = ["api", "graphql", "pb_data_elements", "pb_entire_workflow"]


def _write_keys(service: Path) -> tuple[bytes, bytes]:
    """Create the key files; return the server keypair (Z85)."""
    accepted = service / "client_public_keys"
    accepted.mkdir(parents=True, exist_ok=True)
    old = os.umask(0o177)  # key files 0600, as cylc-flow writes them
    try:
        public_file, secret_file = zmq.auth.create_certificates(str(service), "server")
        shutil.copyfile(secret_file, service / "client.key_secret")
        shutil.copyfile(public_file, accepted / "client_localhost.key")
    finally:
        os.umask(old)
    public, secret = zmq.auth.load_certificate(secret_file)
    return public, secret


class SyntheticScheduler:
    """One workflow's sockets, contact file and publishing loop."""

    def __init__(self, context: zmq.asyncio.Context, run_dir: Path, model: SyntheticWorkflow) -> None:
        self.context = context
        self.run_dir = run_dir
        self.model = model
        self.service = run_dir / ".service"
        self.batches = 0
        self.requests = 0

    async def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "flow.cylc").write_text("# served by benchmarks.synthetic\n")
        (self.run_dir / "log" / "scheduler").mkdir(parents=True, exist_ok=True)
        public, secret = _write_keys(self.service)
        self.rep = self.context.socket(zmq.REP)
        self.pub = self.context.socket(zmq.PUB)
        for sock in (self.rep, self.pub):
            sock.curve_publickey = public
            sock.curve_secretkey = secret
            sock.curve_server = True
            sock.linger = 0
        self.pub.sndhwm = 1000
        port = self.rep.bind_to_random_port("tcp://127.0.0.1")
        pub_port = self.pub.bind_to_random_port("tcp://127.0.0.1")
        self.model.set_location("localhost", port, pub_port)
        self._write_contact(port, pub_port)

    def _write_contact(self, port: int, pub_port: int) -> None:
        values = {
            "CYLC_API": "5",
            "CYLC_VERSION": VERSION,
            "CYLC_WORKFLOW_COMMAND": " ".join(psutil.Process().cmdline()),
            "CYLC_WORKFLOW_HOST": "localhost",
            "CYLC_WORKFLOW_ID": self.model.name,
            "CYLC_WORKFLOW_OWNER": self.model.owner,
            "CYLC_WORKFLOW_PID": str(os.getpid()),
            "CYLC_WORKFLOW_PORT": str(port),
            "CYLC_WORKFLOW_PUBLISH_PORT": str(pub_port),
            "CYLC_WORKFLOW_RUN_DIR_ON_WORKFLOW_HOST": str(self.run_dir),
            "CYLC_WORKFLOW_UUID": f"{random.Random(self.model.seed).getrandbits(128):032x}",
            "SCHEDULER_CYLC_PATH": "None",
            "SCHEDULER_SSH_COMMAND": "ssh -oBatchMode=yes -oConnectTimeout=10",
            "SCHEDULER_USE_LOGIN_SHELL": "False",
        }
        tmp = self.service / "contact.tmp"
        tmp.write_text("".join(f"{key}={values[key]}\n" for key in sorted(values)))
        tmp.replace(self.service / "contact")

    async def serve_requests(self) -> None:
        """Answer REQ commands until cancelled (one at a time, as a REP socket must)."""
        while True:
            raw = await self.rep.recv()
            self.requests += 1
            await self.rep.send(self._answer(raw))

    def _answer(self, raw: bytes) -> bytes:
        try:
            request = json.loads(raw)
            command = request["command"]
            args = request.get("args") or {}
        except (ValueError, KeyError, TypeError) as exc:
            return _error(str(exc))
        if command == "pb_entire_workflow":
            return self.model.entire().SerializeToString()
        if command == "pb_data_elements":
            reply = self.model.elements(args.get("element_type", ""))
            return b"" if reply is None else reply.SerializeToString()
        if command == "api":
            return json.dumps({"data": API, "cylc_version": VERSION}).encode()
        if command == "graphql":
            # Enough for `cylc ping`-style queries; mutations are not simulated.
            query = args.get("request_string", "")
            if "mutation" in query:
                return _error("the synthetic scheduler does not run commands")
            data = {"workflows": [{"id": self.model.id, "name": self.model.name, "port": self.model.port}]}
            return json.dumps({"data": data, "cylc_version": VERSION}).encode()
        return _error(f"No method by the name '{command}' at Cylc {VERSION}")

    async def publish_forever(self, interval: float, offset: float) -> None:
        await asyncio.sleep(offset)
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            batch = self.model.step()
            for name in ELEMENT_TYPES:
                if batch.HasField(name):
                    await self.pub.send_multipart([name.encode(), getattr(batch, name).SerializeToString()])
            await self.pub.send_multipart([b"all", batch.SerializeToString()])
            self.batches += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def shutdown(self) -> None:
        with contextlib.suppress(zmq.ZMQError):
            await self.pub.send_multipart([b"shutdown", b"REQUEST(NOW)"])
        with contextlib.suppress(FileNotFoundError):
            (self.service / "contact").unlink()
        self.rep.close(0)
        self.pub.close(0)


def _error(message: str) -> bytes:
    return json.dumps({"error": {"message": message}, "cylc_version": VERSION}).encode()


async def serve(args: argparse.Namespace) -> None:
    context = zmq.asyncio.Context()
    owner = getpass.getuser()
    run_root = Path(args.home) / "cylc-run"
    schedulers = []
    for index in range(args.workflows):
        name = f"{args.prefix}{index:04d}"
        model = SyntheticWorkflow(
            name, owner, args.tasks, seed=args.seed * 100_003 + index,
            changes_per_step=args.changes,
        )
        scheduler = SyntheticScheduler(context, run_root / name, model)
        await scheduler.start()
        schedulers.append(scheduler)
    print(f"serving {len(schedulers)} synthetic workflows under {run_root}", flush=True)
    tasks = []
    for index, scheduler in enumerate(schedulers):
        tasks.append(asyncio.create_task(scheduler.serve_requests()))
        tasks.append(asyncio.create_task(
            scheduler.publish_forever(args.interval, args.interval * index / max(len(schedulers), 1))
        ))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.duration) if args.duration else await stop.wait()
    except asyncio.TimeoutError:
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for scheduler in schedulers:
            await scheduler.shutdown()
        context.term()
        print(f"published {sum(s.batches for s in schedulers)} batches, "
              f"answered {sum(s.requests for s in schedulers)} requests", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", required=True, help="HOME whose cylc-run gets the workflows")
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=100, help="task proxies per workflow")
    parser.add_argument("--changes", type=int, default=5, help="task proxies changed per batch")
    parser.add_argument("--interval", type=float, default=2.0, help="s between batches of one workflow")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prefix", default="syn")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many s (0: on signal)")
    asyncio.run(serve(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
