"""Null stripping (web-api §7.4): the reference's document-wide ``stripNull``."""

from __future__ import annotations

from typing import Any, Mapping

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DocumentNode,
    VariableNode,
    Visitor,
    visit,
)

__all__ = ["document_strips_nulls", "strip_nulls"]

_STRIP_NULL = "stripNull"


def strip_nulls(data: Any) -> Any:
    """Return ``data`` without null values and empty lists or objects, recursively.

    A container that becomes empty once its nulls are gone is dropped too,
    exactly as the reference prunes its results. Lists keep their order;
    null list items are dropped (a UI that merges by ID has no use for them).
    Top-level ``None`` stays ``None``.
    """
    if isinstance(data, dict):
        return _strip_dict(data)
    if isinstance(data, list):
        return _strip_list(data)
    return data


def _strip_dict(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            value = _strip_dict(value)
            if not value:
                continue
        elif isinstance(value, list):
            value = _strip_list(value)
            if not value:
                continue
        out[key] = value
    return out


def _strip_list(data: list) -> list:
    out = []
    for value in data:
        if value is None:
            continue
        if isinstance(value, dict):
            value = _strip_dict(value)
            if not value:
                continue
        elif isinstance(value, list):
            value = _strip_list(value)
            if not value:
                continue
        out.append(value)
    return out


class _StripNullFinder(Visitor):
    """Stops at the first ``stripNull`` argument whose value is true."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.variables = variables
        self.found = False

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> Any:
        if node.name.value != _STRIP_NULL:
            return None
        value = node.value
        if isinstance(value, BooleanValueNode):
            self.found = value.value
        elif isinstance(value, VariableNode):
            self.found = self.variables.get(value.name.value) is True
        if self.found:
            return self.BREAK
        return None


def document_strips_nulls(
    document: DocumentNode, variables: Mapping[str, Any] | None = None
) -> bool:
    """Say whether ``stripNull: true`` appears anywhere in ``document``.

    The value counts when it is the literal ``true`` or a variable whose
    value in ``variables`` is ``true``. Defaults of variable definitions are
    honoured too, since ``$strip: Boolean = true`` is how a client would
    write it.
    """
    values = dict(_variable_defaults(document))
    if variables:
        values.update(variables)
    finder = _StripNullFinder(values)
    visit(document, finder)
    return finder.found


def _variable_defaults(document: DocumentNode):
    """Yield ``(name, True)`` for variables defined with default ``true``."""
    for definition in document.definitions:
        for variable in getattr(definition, "variable_definitions", None) or ():
            default = variable.default_value
            if isinstance(default, BooleanValueNode) and default.value:
                yield variable.variable.name.value, True
