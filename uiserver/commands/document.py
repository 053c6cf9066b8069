"""The GraphQL document and variables a mutation is forwarded with (protocol §8)."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["build_document", "workflow_variables"]

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# A type reference: a named type, possibly wrapped in lists and non-nulls.
_TYPE = re.compile(r"[\[\s]*[_A-Za-z][_0-9A-Za-z]*[\]!\s]*")


def _check_type(type_string: str) -> str:
    compact = type_string.replace(" ", "")
    if not _TYPE.fullmatch(compact) or compact.count("[") != compact.count("]"):
        raise ValueError(f"not a GraphQL type reference: {type_string!r}")
    return compact


def build_document(mutation: str, args: dict[str, Any], arg_types: dict[str, str]) -> str:
    """One self-contained mutation document selecting ``{ result }``.

    Each argument of ``args`` whose value is not None becomes a variable typed
    from ``arg_types``; null arguments are left out so the scheduler applies
    its own default. Names and types come from our schema, but are checked
    anyway so nothing can be spliced into the document.

    :raises ValueError: a bad name, a bad type, or an argument without a type.
    """
    if not _NAME.fullmatch(mutation):
        raise ValueError(f"not a GraphQL field name: {mutation!r}")
    definitions, arguments = [], []
    for name, value in args.items():
        if value is None:
            continue
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a GraphQL argument name: {name!r}")
        if name not in arg_types:
            raise ValueError(f"no type given for argument {name!r} of {mutation}")
        definitions.append(f"${name}: {_check_type(arg_types[name])}")
        arguments.append(f"{name}: ${name}")
    header = f"mutation ({', '.join(definitions)})" if definitions else "mutation"
    call = f"{mutation}({', '.join(arguments)})" if arguments else mutation
    return f"{header} {{ {call} {{ result }} }}"


def workflow_variables(args: dict[str, Any], workflow_id: str) -> dict[str, Any]:
    """The variables for one workflow: ``args`` without nulls, ``workflows`` = just it."""
    variables = {name: value for name, value in args.items() if value is not None}
    variables["workflows"] = [workflow_id]
    return variables
