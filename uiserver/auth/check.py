"""The GraphQL-level check: top-level fields against the user's permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
)

if TYPE_CHECKING:
    from graphql.language import DocumentNode, SelectionSetNode

    from .authorizer import Authorizer

__all__ = ["FORBIDDEN", "NOT_IN_SCHEMA", "check_document", "collect_top_level_fields"]

#: The message of a refused field (web-api §11.3, §12).
FORBIDDEN = "HTTP 403: Forbidden"
#: The message of a mutation field that is no known operation (web-api §12).
NOT_IN_SCHEMA = "HTTP 400: Operation not in schema."


def check_document(
    authorizer: Authorizer,
    user: str,
    token_authenticated: bool,
    operation_type: str,
    top_level_fields: list[str],
) -> list[dict[str, Any]]:
    """GraphQL errors for the top-level fields ``user`` may not run; ``[]`` if all may.

    Each refused field gets ``{"message": "HTTP 403: Forbidden", "path": [field]}``
    and each unknown mutation ``{"message": "HTTP 400: Operation not in schema."}``.
    A field named twice is reported once. An exception while checking a
    field is logged and refuses that field, so a fault never grants access.
    """
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for field in top_level_fields:
        if field in seen:
            continue
        seen.add(field)
        try:
            operation = authorizer.operation_for_field(operation_type, field)
            if operation is None:
                errors.append({"message": NOT_IN_SCHEMA})
                continue
            permitted = authorizer.is_permitted(user, operation, token_authenticated)
        except Exception:
            authorizer.log.exception(
                "Authorization: checking %s field %r for user %r failed; refused",
                operation_type,
                field,
                user,
            )
            permitted = False
        if not permitted:
            errors.append({"message": FORBIDDEN, "path": [field]})
    return errors


def collect_top_level_fields(
    document: DocumentNode, operation_name: str | None = None
) -> tuple[str, list[str]]:
    """The operation type and top-level field names of the operation to run.

    Fields reached through fragment spreads and inline fragments count, so a
    mutation cannot hide inside a fragment. ``@skip``/``@include`` are
    ignored: a field is checked even if it might be skipped, which can only
    refuse more, never less. Raises ``ValueError`` if ``operation_name`` does
    not pick exactly one operation (GraphQL validation reports that first).
    """
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        raise ValueError(
            f"cannot pick one operation (name {operation_name!r}, {len(operations)} candidates)"
        )
    operation = operations[0]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    fields: list[str] = []
    _collect(operation.selection_set, fragments, set(), fields)
    return operation.operation.value, fields


def _collect(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    visited: set[str],
    fields: list[str],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value not in fields:
                fields.append(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            _collect(selection.selection_set, fragments, visited, fields)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            # Cycles are a validation error, but never recurse forever here.
            if name in visited or name not in fragments:
                continue
            visited.add(name)
            _collect(fragments[name].selection_set, fragments, visited, fields)
