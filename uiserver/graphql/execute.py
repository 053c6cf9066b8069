"""Running GraphQL operations: parse, validate, authorise, sync on demand, execute.

:class:`GraphQLExecutor` is the one entry point for HTTP and both websocket
protocols (it implements ``uiserver.transport.operations.Executor``). Parsed
and validated documents are cached by their text, because the web UI sends
the same few documents over and over.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    execute,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast

from uiserver.store import Store
from uiserver.sync import Demand, Level, SyncManager
from uiserver.transport.operations import ConnectionContext, OperationError, OperationKind

from .awaitable import is_awaitable
from .context import ResolveContext
from .encoding import encode_result
from .filters import match_workflows, workflow_id_of
from .selection import (
    fields_of,
    plan_subscription,
    root_arguments,
    workflow_fields_level,
)
from .strip import document_strips_nulls, strip_nulls
from .subscriptions import SubscriptionHub

if TYPE_CHECKING:
    from uiserver.auth import Authorizer
    from uiserver.commands import CommandRunner
    from uiserver.heap import HeapTrimmer
    from uiserver.workflows import WorkflowRegistry

__all__ = ["ExecutorLimits", "GraphQLExecutor", "ParsedDocument"]

log = logging.getLogger("uiserver.graphql")

#: Root query fields that read one workflow's elements through an ``id``.
_SINGLE_ITEM_QUERIES = frozenset({"job", "task", "taskProxy", "family", "familyProxy"})
#: Root query fields that read elements of the workflows they match.
_ELEMENT_QUERIES = frozenset(
    {"jobs", "tasks", "taskProxies", "families", "familyProxies", "edges", "nodesEdges"}
)


@dataclass(frozen=True, slots=True)
class ExecutorLimits:
    """Bounds on what one request may ask for."""

    #: Longest accepted document, in characters.
    max_document_size: int = 256 * 1024
    #: Most tokens the parser will read (stops pathological documents early).
    max_tokens: int = 20_000
    #: Deepest selection nesting, fragments expanded (introspection needs ~13).
    max_depth: int = 24
    #: Seconds a query waits for an unwatched workflow to sync before it is
    #: answered from whatever the server holds.
    sync_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document that parsed and validated against the schema."""

    document: DocumentNode
    fragments: dict[str, FragmentDefinitionNode]
    depth: int


class _Prepared:
    """An operation ready to run; ``results()`` runs it."""

    __slots__ = ("kind", "_run")

    def __init__(self, kind: OperationKind, run: Callable[[], AsyncIterator[bytes]]) -> None:
        self.kind = kind
        self._run = run

    def results(self) -> AsyncIterator[bytes]:
        return self._run()


class GraphQLExecutor:
    """Parses, validates, authorises and runs every GraphQL operation."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        store: Store,
        sync: SyncManager,
        owner: str,
        registry: WorkflowRegistry | None = None,
        commands: CommandRunner | None = None,
        authorizer: Authorizer | None = None,
        limits: ExecutorLimits | None = None,
        cache_size: int = 256,
        max_pending: int = 32,
        heap: HeapTrimmer | None = None,
    ) -> None:
        self.schema = schema
        self.store = store
        self.sync = sync
        self.owner = owner
        self.registry = registry
        self.commands = commands
        self.authorizer = authorizer
        self.limits = limits or ExecutorLimits()
        self._cache: OrderedDict[str, ParsedDocument | list[dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size
        #: Told the size of every encoded result (uiserver/heap.py).
        self.heap = heap
        self.hub = SubscriptionHub(
            schema, store, sync, self._shared_context, max_pending=max_pending, heap=heap
        )

    def close(self) -> None:
        """End every subscription."""
        self.hub.close()

    # -- Executor interface ---------------------------------------------------

    async def prepare(self, payload: dict[str, Any], context: ConnectionContext) -> _Prepared:
        """Check ``payload`` all the way to authorisation; raise OperationError if it fails."""
        query, variables, operation_name = _read_payload(payload)
        parsed = self._parse(query)
        document = parsed.document
        try:
            operation = get_operation_ast(document, operation_name)
        except GraphQLError as exc:  # pragma: no cover - graphql-core raises none today
            raise OperationError([exc.formatted]) from None
        if operation is None:
            if operation_name:
                message = f"Unknown operation named '{operation_name}'."
            else:
                message = "Must provide operation name if query contains multiple operations."
            raise OperationError([{"message": message}])
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise OperationError([error.formatted for error in coerced])
        kind: OperationKind = operation.operation.value  # type: ignore[assignment]
        refused = self._authorise(operation, parsed, context)
        if refused is not None:
            frame = encode_result(refused)

            async def refusal() -> AsyncIterator[bytes]:
                yield frame

            return _Prepared(kind, refusal)
        user = context.user or ""
        if kind == "subscription":
            return _Prepared(
                kind, lambda: self._subscribe(query, parsed, operation, coerced, variables or {})
            )
        return _Prepared(
            kind, lambda: self._run_once(parsed, operation, coerced, variables or {}, user)
        )

    # -- parsing and validation -----------------------------------------------

    def _parse(self, query: str) -> ParsedDocument:
        cached = self._cache.get(query)
        if cached is None:
            cached = self._parse_uncached(query)
            self._cache[query] = cached
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(query)
        if isinstance(cached, list):
            raise OperationError(cached)
        return cached

    def _parse_uncached(self, query: str) -> ParsedDocument | list[dict[str, Any]]:
        limits = self.limits
        if len(query) > limits.max_document_size:
            return [{"message": f"Document too large: over {limits.max_document_size} characters."}]
        try:
            document = parse(query, max_tokens=limits.max_tokens)
        except GraphQLError as exc:
            return [exc.formatted]
        errors = validate(self.schema, document)
        if errors:
            return [error.formatted for error in errors]
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        depth = max(
            (
                _depth(d.selection_set, fragments)
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
            ),
            default=0,
        )
        if depth > limits.max_depth:
            return [{"message": f"Query too deep: {depth} levels, at most {limits.max_depth}."}]
        return ParsedDocument(document, fragments, depth)

    # -- authorisation ----------------------------------------------------------

    def _authorise(
        self, operation: OperationDefinitionNode, parsed: ParsedDocument, context: ConnectionContext
    ) -> dict[str, Any] | None:
        """None if permitted; else the result to answer with (fields null, 403 errors)."""
        if self.authorizer is None or context.user is None:
            return None
        from uiserver.auth import check_document

        fields = [
            node.name.value
            for node in fields_of(operation.selection_set, parsed.fragments)
            if node.name.value != "__typename"
        ]
        errors = check_document(
            self.authorizer,
            context.user,
            bool(context.extra.get("token_authenticated")),
            operation.operation.value,
            fields,
        )
        if not errors:
            return None
        unknown = [error for error in errors if "path" not in error]
        if unknown:
            raise OperationError(unknown)
        return {"data": {field: None for field in fields}, "errors": errors}

    # -- queries and mutations --------------------------------------------------

    async def _run_once(
        self,
        parsed: ParsedDocument,
        operation: OperationDefinitionNode,
        coerced: dict[str, Any],
        variables: dict[str, Any],
        user: str,
    ) -> AsyncIterator[bytes]:
        is_query = operation.operation.value == "query"
        demands = self._query_demands(operation, parsed, coerced) if is_query else []
        try:
            if demands:
                timeout = self.limits.sync_timeout
                await asyncio.gather(
                    *(self.sync.wait_synced(d.workflow_id, d.level, timeout) for d in demands)
                )
            context = self._context(user, parsed.document, variables)
            result = execute(
                self.schema,
                parsed.document,
                context_value=context,
                variable_values=variables,
                operation_name=operation.name.value if operation.name else None,
                is_awaitable=is_awaitable,
            )
            if inspect.isawaitable(result):
                result = await result
            assert isinstance(result, ExecutionResult)
            data = encode_result(self.finish(result, context))
        finally:
            for demand in demands:
                demand.release()
        if self.heap is not None:
            self.heap.note(len(data))
        yield data

    def _query_demands(
        self, operation: OperationDefinitionNode, parsed: ParsedDocument, variables: dict[str, Any]
    ) -> list[Demand]:
        """Acquire what a query needs of workflows nobody may be watching."""
        wanted: dict[str, Level] = {}
        for node in fields_of(operation.selection_set, parsed.fragments):
            name = node.name.value
            if name.startswith("__"):
                continue
            args = root_arguments(self.schema, operation, node, variables)
            if name == "workflows":
                level = workflow_fields_level([node], parsed.fragments)
                ids = self._match(args.get("ids") or [], args.get("exids") or [])
            elif name in _SINGLE_ITEM_QUERIES:
                level = Level.FULL
                ids = [workflow_id_of(str(args.get("id", "")))]
            elif name in _ELEMENT_QUERIES:
                if args.get("live") is False:
                    continue
                level = Level.FULL
                ids = self._match(args.get("workflows") or [], args.get("exworkflows") or [])
            else:
                continue
            if level == Level.NONE:
                continue
            for workflow_id in ids:
                if self._running(workflow_id):
                    wanted[workflow_id] = max(wanted.get(workflow_id, Level.NONE), level)
        return [self.sync.acquire(wid, level) for wid, level in wanted.items()]

    def _match(self, workflows: list[str], exworkflows: list[str]) -> list[str]:
        if self.registry is None:
            return []
        return match_workflows(list(self.registry.entries), workflows, exworkflows, self.store.status_of)

    def _running(self, workflow_id: str) -> bool:
        if self.registry is None:
            return False
        entry = self.registry.get(workflow_id)
        return entry is not None and entry.running

    # -- subscriptions ----------------------------------------------------------

    async def _subscribe(
        self,
        query: str,
        parsed: ParsedDocument,
        operation: OperationDefinitionNode,
        coerced: dict[str, Any],
        variables: dict[str, Any],
    ) -> AsyncIterator[bytes]:
        plan = plan_subscription(self.schema, operation, parsed.fragments, coerced)
        subscriber = self.hub.subscribe(query, parsed.document, operation, variables, plan, self.finish)
        try:
            async for data in subscriber:
                yield data
        finally:
            subscriber.close()

    # -- results ----------------------------------------------------------------

    def _context(self, user: str, document: DocumentNode, variables: dict[str, Any]) -> ResolveContext:
        strip = document_strips_nulls(document, variables)
        return ResolveContext(
            store=self.store,
            owner=self.owner,
            user=user,
            registry=self.registry,
            commands=self.commands,
            strip_null=strip,
            strip_result=strip,
        )

    def _shared_context(self, strip_null: bool) -> ResolveContext:
        """The context of a subscription frame, shared by all its subscribers."""
        return ResolveContext(
            store=self.store,
            owner=self.owner,
            registry=self.registry,
            commands=self.commands,
            strip_null=strip_null,
            strip_result=strip_null,
        )

    def finish(
        self, result: ExecutionResult, context: ResolveContext, *, stripped: bool = False
    ) -> dict[str, Any]:
        """The response object for ``result``: errors formatted, nulls stripped if
        asked (and not ``stripped`` already)."""
        response: dict[str, Any] = {"data": result.data}
        errors = [self._format(error) for error in result.errors or ()]
        errors.extend(context.extra_errors)
        if context.strip_result and not stripped and result.data is not None:
            response["data"] = strip_nulls(result.data)
        if errors:
            response["errors"] = errors
        return response

    @staticmethod
    def _format(error: GraphQLError) -> dict[str, Any]:
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            # A bug or an unexpected failure in a resolver: the client gets
            # the message, the log gets the traceback.
            log.error("resolver failed at %s", error.path, exc_info=original)
        return error.formatted


def _read_payload(payload: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        raise OperationError([{"message": "Must provide query string."}])
    variables = payload.get("variables")
    if isinstance(variables, str):
        try:
            variables = json.loads(variables) if variables.strip() else None
        except ValueError:
            raise OperationError([{"message": "Variables are invalid JSON."}]) from None
    if variables is not None and not isinstance(variables, dict):
        raise OperationError([{"message": "Variables must be an object."}])
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise OperationError([{"message": "operationName must be a string."}])
    return query, variables, operation_name or None


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    _memo: dict[str, int] | None = None,
) -> int:
    """Deepest field nesting below ``selection_set``, through fragments."""
    if selection_set is None:
        return 0
    memo = {} if _memo is None else _memo
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, memo))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, memo))
        else:  # a fragment spread (validation ruled out cycles)
            name = selection.name.value
            if name not in memo:
                memo[name] = 0  # guards against a cycle all the same
                fragment = fragments.get(name)
                memo[name] = _depth(fragment.selection_set, fragments, memo) if fragment else 0
            deepest = max(deepest, memo[name])
    return deepest
