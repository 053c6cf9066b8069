"""Run the mutations: forward them to schedulers, or run ``cylc play``/``cylc clean``."""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from ..scheduler.errors import RequestTimeout, SchedulerError, SchedulerRequestError
from ..sync import SyncManager
from ..workflows import WorkflowRegistry
from .audit import ACCEPTED, FAILED, REJECTED, TIMED_OUT, AuditLog, Outcome
from .document import build_document, workflow_variables
from .matching import match_workflows, parse_pattern, split_workflow_id
from .options import CommandLineError, clean_argv, play_argv, play_env
from .process import ProcessResult, ProcessRunner, ProcessTimeout

__all__ = ["CommandRunner", "classify_reply", "combine_results"]

log = logging.getLogger("uiserver.commands")

NO_MATCH = "No matching workflows"
_GLOB_CHARS = frozenset("*?[")
#: How many ``cylc play`` processes run at once (each loads a workflow config).
PLAY_CONCURRENCY = 4


class _OtherUsers(Exception):
    """A play/clean target belongs to another user."""


def classify_reply(mutation: str, data: Any) -> tuple[str, str]:
    """The outcome and message of a scheduler's ``graphql`` reply to ``mutation``.

    A ``[false, msg]`` response (or broadcast's ``{"error": ...}``) is a
    rejection; any other answer is an acceptance, since some commands
    (``broadcast``) do not answer ``[bool, str]`` at all (protocol §3.7).
    """
    try:
        entries = data[mutation]["result"]
    except (KeyError, TypeError):
        return ACCEPTED, ""
    messages = []
    for entry in entries if isinstance(entries, list) else []:
        response = entry.get("response") if isinstance(entry, dict) else None
        if isinstance(response, list) and len(response) == 2 and isinstance(response[0], bool):
            if response[0] is False:
                return REJECTED, str(response[1])
            messages.append(str(response[1]))
        elif isinstance(response, dict) and "error" in response:
            error = response["error"]
            return REJECTED, str(error.get("message", error) if isinstance(error, dict) else error)
    return ACCEPTED, "; ".join(messages)


def combine_results(
    outcomes: Sequence[Outcome], success: str, *, single: bool
) -> list[Any]:
    """``[true, success]`` if every outcome was accepted, else ``[false, msg]``.

    ``msg`` is the one failure's message for a single workflow, and
    ``"\\n\\n<wf>: <msg>"`` per failure otherwise (web-api §11.1).
    """
    failures = [o for o in outcomes if o.outcome != ACCEPTED]
    if not failures:
        return [True, success]
    if single and len(failures) == 1:
        return [False, failures[0].message]
    return [False, "".join(f"\n\n{o.workflow}: {o.message}" for o in failures)]


def _as_list(value: Any) -> list[Any]:
    """GraphQL coerces a single value to a one-item list; so do we."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _output_message(result: ProcessResult) -> str:
    text = result.stderr.strip() or result.stdout.strip()
    return text or f"Command failed ({result.returncode}): {shlex.join(result.argv)}"


class CommandRunner:
    """Runs the mutations for one UI server and records each in :attr:`audit`.

    Forwarded mutations go to every matched running scheduler at once, each
    bounded by ``request_timeout``. ``play`` runs ``cylc play`` per workflow
    (concurrently, ``play_timeout`` each); ``clean`` runs ``cylc clean`` one
    at a time (``clean_timeout`` each). Failures for one workflow are reported
    in the result, never raised.
    """

    def __init__(
        self,
        registry: WorkflowRegistry,
        sync: SyncManager,
        *,
        owner: str,
        request_timeout: float = 5.0,
        play_timeout: float = 120.0,
        clean_timeout: float = 600.0,
        cylc_executable: str = "cylc",
        audit_size: int = 1000,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.registry = registry
        self.sync = sync
        self.owner = owner
        self.request_timeout = request_timeout
        self.play_timeout = play_timeout
        self.clean_timeout = clean_timeout
        self.cylc_executable = cylc_executable
        self.env = dict(env) if env is not None else None
        self.audit = AuditLog(audit_size)
        self._processes = ProcessRunner()
        # cylc clean runs one at a time, like the reference's one-worker pool.
        self._clean_lock = asyncio.Lock()
        self._play_slots = asyncio.Semaphore(PLAY_CONCURRENCY)

    # -- forwarded mutations -------------------------------------------------

    def _status_of(self, workflow_id: str) -> str | None:
        status = self.sync.store.status_of(workflow_id)
        if status:
            return status
        entry = self.registry.get(workflow_id)
        return entry.status_msg if entry is not None else None

    async def forward(
        self,
        mutation: str,
        args: dict[str, Any],
        *,
        arg_types: dict[str, str],
        user: str,
    ) -> tuple[list[Any], list[str]]:
        """Send ``mutation`` to every matched running workflow.

        :returns: ``(result, errors)``: one scheduler reply
            ``{mutation: {"result": [...]}}`` per workflow reached, and one
            message per matched workflow that could not be reached.
        :raises ValueError: ``mutation``, ``args`` or ``arg_types`` cannot
            form a document (a bug in the caller, not a user error).
        """
        document = build_document(mutation, args, arg_types)
        if "workflows" not in arg_types:
            raise ValueError(f"{mutation} has no workflows argument to forward with")
        patterns = _as_list(args.get("workflows"))
        matched = match_workflows(list(self.registry.entries), patterns, self._status_of)
        if not matched:
            self.audit.record(user, mutation, args, [Outcome(None, FAILED, NO_MATCH)])
            return [{"response": [False, NO_MATCH]}], []
        replies = await asyncio.gather(
            *(self._send(mutation, document, args, wf, user) for wf in matched)
        )
        results, errors, outcomes = [], [], []
        for reply, error, outcome in replies:
            if reply is not None:
                results.append(reply)
            if error is not None:
                errors.append(error)
            outcomes.append(outcome)
        self.audit.record(user, mutation, args, outcomes)
        return results, errors

    async def _send(
        self, mutation: str, document: str, args: dict[str, Any], workflow_id: str, user: str
    ) -> tuple[dict[str, Any] | None, str | None, Outcome]:
        """Forward to one workflow: ``(reply or None, error or None, outcome)``."""

        def failed(kind: str, message: str) -> tuple[None, str, Outcome]:
            return None, message, Outcome(workflow_id, kind, message)

        entry = self.registry.get(workflow_id)
        if entry is None or not entry.running:
            return failed(FAILED, f"{workflow_id} is not running")
        timeout = self.request_timeout
        try:
            # One bound for the whole exchange: loading keys and queueing
            # behind the link's own requests on a shared client count too.
            async with asyncio.timeout(timeout):
                client = await self.sync.client(workflow_id)
                if client is None:
                    return failed(FAILED, f"{workflow_id} is not running")
                data = await client.graphql(
                    document,
                    workflow_variables(args, workflow_id),
                    auth_user=user,
                    timeout=timeout,
                )
        except (TimeoutError, RequestTimeout):
            return failed(TIMED_OUT, f"{workflow_id}: timed out after {timeout:g} s")
        except SchedulerRequestError as exc:
            # The scheduler's GraphQL rejected the document or the arguments.
            message = str(exc)
            reply = {mutation: {"result": [{"id": workflow_id, "response": [False, message]}]}}
            return reply, None, Outcome(workflow_id, REJECTED, message)
        except SchedulerError as exc:
            return failed(FAILED, f"{workflow_id}: {exc}")
        except Exception as exc:  # noqa: BLE001 - one workflow must not fail the rest
            log.exception("Forwarding %s to %s failed", mutation, workflow_id)
            return failed(FAILED, f"{workflow_id}: {type(exc).__name__}: {exc}")
        if not isinstance(data, dict):
            return failed(FAILED, f"{workflow_id}: unexpected reply {data!r}")
        kind, message = classify_reply(mutation, data)
        return data, None, Outcome(workflow_id, kind, message)

    # -- play / clean / scan ---------------------------------------------------

    def _targets(self, patterns: Sequence[Any]) -> list[str]:
        """The workflow names (without ``~owner/``) to run a CLI command on.

        Globs are expanded against the known workflows; literal IDs are taken
        as given, since a workflow just installed may not be scanned yet.

        :raises _OtherUsers: a pattern names another user's workflow.
        """
        names: list[str] = []
        for pattern in patterns:
            if not isinstance(pattern, str):
                continue
            user, _ = split_workflow_id(pattern)
            if user is not None and user != self.owner:
                raise _OtherUsers(pattern)
            if _GLOB_CHARS & set(pattern):
                found = match_workflows(list(self.registry.entries), [pattern], self._status_of)
                candidates = [split_workflow_id(f)[1] for f in found]
            else:
                parsed = parse_pattern(pattern)
                candidates = [parsed.workflow] if parsed is not None else []
            names.extend(c for c in candidates if c not in names)
        return names

    def _base_env(self) -> Mapping[str, str]:
        return self.env if self.env is not None else os.environ

    async def _run_cli(
        self, what: str, argv: list[str], env: Mapping[str, str], timeout: float, workflow_id: str
    ) -> Outcome:
        try:
            result = await self._processes.run(argv, env=env, timeout=timeout)
        except FileNotFoundError:
            message = f"cylc is not installed (cannot run cylc {what}: {argv[0]} not found)"
            return Outcome(workflow_id, FAILED, message)
        except PermissionError:
            message = f"cannot run cylc {what}: {argv[0]} is not executable"
            return Outcome(workflow_id, FAILED, message)
        except OSError as exc:
            return Outcome(workflow_id, FAILED, f"cannot run cylc {what}: {exc}")
        except ProcessTimeout:
            message = f"Command timed out after {timeout:g} s: {shlex.join(argv)}"
            return Outcome(workflow_id, TIMED_OUT, message)
        except RuntimeError as exc:
            return Outcome(workflow_id, FAILED, str(exc))
        if result.returncode != 0:
            return Outcome(workflow_id, FAILED, _output_message(result))
        return Outcome(workflow_id, ACCEPTED, "")

    async def _play_one(self, name: str, args: dict[str, Any]) -> Outcome:
        workflow_id = f"~{self.owner}/{name}"
        try:
            argv = play_argv(self.cylc_executable, args, name)
            env = play_env(self._base_env(), args)
        except CommandLineError as exc:
            return Outcome(workflow_id, REJECTED, str(exc))
        async with self._play_slots:
            return await self._run_cli("play", argv, env, self.play_timeout, workflow_id)

    async def play(self, args: dict[str, Any], *, user: str) -> list[Any]:
        """Start (or resume) each workflow with ``cylc play``; ``[bool, message]``."""
        try:
            targets = self._targets(_as_list(args.get("workflows")))
        except _OtherUsers:
            message = "Cannot start workflows for other users."
            self.audit.record(user, "play", args, [Outcome(None, REJECTED, message)])
            return [False, message]
        if not targets:
            self.audit.record(user, "play", args, [Outcome(None, FAILED, NO_MATCH)])
            return [False, NO_MATCH]
        try:
            outcomes = list(await asyncio.gather(*(self._play_one(n, args) for n in targets)))
        finally:
            self.registry.request_scan()
        self.audit.record(user, "play", args, outcomes)
        return combine_results(outcomes, "Workflow(s) started", single=len(targets) == 1)

    async def _clean_one(self, name: str, args: dict[str, Any]) -> Outcome:
        workflow_id = f"~{self.owner}/{name}"
        entry = self.registry.get(workflow_id)
        if entry is not None and entry.running:
            return Outcome(
                workflow_id, REJECTED, f"Cannot clean running workflow {workflow_id}: stop it first"
            )
        try:
            argv = clean_argv(
                self.cylc_executable, args, name, remote_timeout=self.clean_timeout
            )
        except CommandLineError as exc:
            return Outcome(workflow_id, REJECTED, str(exc))
        return await self._run_cli("clean", argv, self._base_env(), self.clean_timeout, workflow_id)

    async def clean(self, args: dict[str, Any], *, user: str) -> list[Any]:
        """Delete each stopped workflow with ``cylc clean``, one at a time; ``[bool, message]``."""
        try:
            targets = self._targets(_as_list(args.get("workflows")))
        except _OtherUsers:
            message = "Cannot clean workflows for other users."
            self.audit.record(user, "clean", args, [Outcome(None, REJECTED, message)])
            return [False, message]
        if not targets:
            self.audit.record(user, "clean", args, [Outcome(None, FAILED, NO_MATCH)])
            return [False, NO_MATCH]
        outcomes = []
        try:
            for name in targets:
                async with self._clean_lock:
                    outcomes.append(await self._clean_one(name, args))
        finally:
            self.registry.request_scan()
        self.audit.record(user, "clean", args, outcomes)
        return combine_results(outcomes, "Workflow(s) cleaned", single=len(targets) == 1)

    async def scan(self, *, user: str) -> list[Any]:
        """Ask the registry for a rescan (queued once however often asked)."""
        self.registry.request_scan()
        self.audit.record(user, "scan", {}, [Outcome(None, ACCEPTED, "Scan requested")])
        return [True, "Scan requested"]

    async def close(self) -> None:
        """Kill any ``cylc`` process still running; later play/clean calls fail."""
        await self._processes.close()
