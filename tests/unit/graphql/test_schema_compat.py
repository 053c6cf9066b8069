"""Our schema has everything the reference schema has, with the same types and defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    GraphQLUnionType,
    build_ast_schema,
    parse,
    print_ast,
)
from graphql.language import (
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    UnionTypeDefinitionNode,
)
from graphql.utilities import ast_from_value, value_from_ast

from uiserver.graphql.schema import graphql_schema

REFERENCE = Path("/work/shared/reference/cylc-uis-schema.graphql")

pytestmark = pytest.mark.skipif(not REFERENCE.exists(), reason="reference schema not available")

_MISSING = object()


def _default(ours, type_) -> object:
    """Our default as the parsed value a client would see from introspection."""
    if ours is _MISSING:
        return _MISSING
    node = ast_from_value(ours, type_)
    return _MISSING if node is None else value_from_ast(node, type_)


def _compare_inputs(
    where: str,
    reference: list[InputValueDefinitionNode],
    ours: dict,
    problems: list[str],
) -> None:
    for node in reference:
        name = node.name.value
        mine = ours.get(name)
        if mine is None:
            problems.append(f"{where}: argument/input field {name} missing")
            continue
        ref_type = print_ast(node.type)
        if str(mine.type) != ref_type:
            problems.append(f"{where}({name}): type {mine.type} != {ref_type}")
            continue
        our_default = _default(
            _MISSING if mine.default_value is Undefined else mine.default_value, mine.type
        )
        ref_default = (
            _MISSING if node.default_value is None else value_from_ast(node.default_value, mine.type)
        )
        if our_default != ref_default or (our_default is _MISSING) != (ref_default is _MISSING):
            shown = lambda v: "<none>" if v is _MISSING else repr(v)  # noqa: E731
            problems.append(
                f"{where}({name}): default {shown(our_default)} != {shown(ref_default)}"
            )


def schema_differences(ours: GraphQLSchema, reference_sdl: str) -> list[str]:
    """Every way ``ours`` falls short of the reference SDL (additions are fine)."""
    problems: list[str] = []
    document = parse(reference_sdl)
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            for operation in definition.operation_types:
                root = {
                    "query": ours.query_type,
                    "mutation": ours.mutation_type,
                    "subscription": ours.subscription_type,
                }[operation.operation.value]
                wanted = operation.type.name.value
                if root is None or root.name != wanted:
                    problems.append(f"schema {operation.operation.value} type is not {wanted}")
            continue
        name = definition.name.value
        mine = ours.type_map.get(name)
        if mine is None:
            problems.append(f"type {name} missing")
            continue
        if isinstance(definition, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
            kind = GraphQLObjectType if isinstance(definition, ObjectTypeDefinitionNode) else GraphQLInterfaceType
            if not isinstance(mine, kind):
                problems.append(f"type {name} is not a {kind.__name__}")
                continue
            my_interfaces = {i.name for i in mine.interfaces}
            for interface in definition.interfaces or ():
                if interface.name.value not in my_interfaces:
                    problems.append(f"type {name} does not implement {interface.name.value}")
            for field in definition.fields or ():
                field_name = field.name.value
                my_field = mine.fields.get(field_name)
                if my_field is None:
                    problems.append(f"field {name}.{field_name} missing")
                    continue
                ref_type = print_ast(field.type)
                if str(my_field.type) != ref_type:
                    problems.append(f"field {name}.{field_name}: type {my_field.type} != {ref_type}")
                _compare_inputs(f"{name}.{field_name}", list(field.arguments or ()), my_field.args, problems)
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            if not isinstance(mine, GraphQLInputObjectType):
                problems.append(f"type {name} is not an input type")
                continue
            _compare_inputs(name, list(definition.fields or ()), mine.fields, problems)
        elif isinstance(definition, EnumTypeDefinitionNode):
            if not isinstance(mine, GraphQLEnumType):
                problems.append(f"type {name} is not an enum")
                continue
            for value in definition.values or ():
                if value.name.value not in mine.values:
                    problems.append(f"enum {name} lacks {value.name.value}")
        elif isinstance(definition, UnionTypeDefinitionNode):
            if not isinstance(mine, GraphQLUnionType):
                problems.append(f"type {name} is not a union")
                continue
            members = {t.name for t in mine.types}
            for member in definition.types or ():
                if member.name.value not in members:
                    problems.append(f"union {name} lacks {member.name.value}")
        elif isinstance(definition, ScalarTypeDefinitionNode):
            if not isinstance(mine, GraphQLScalarType):
                problems.append(f"type {name} is not a scalar")
    return problems


def test_schema_matches_reference():
    problems = schema_differences(graphql_schema, REFERENCE.read_text())
    assert not problems, "\n".join(problems)


def test_the_check_catches_differences():
    """The comparison itself fails on a missing field, a changed default or type, an enum value."""
    sdl = REFERENCE.read_text()
    ours = build_ast_schema(parse(sdl))
    assert schema_differences(ours, sdl) == []
    changed = build_ast_schema(
        parse(
            sdl.replace("  treeDepth: Int\n", "")
            .replace('deltaType: String = "updated"): [Job]', 'deltaType: String = "added"): [Job]')
            .replace("mode: WorkflowRunMode = Live", "mode: WorkflowRunMode = Dummy")
            .replace("  NowNow\n", "")
            .replace("  nodes: [TaskProxy]", "  nodes: [Job]")
            .replace("ignoreInterval: Float = 2.5", "ignoreInterval: Float = 2")
        )
    )
    problems = schema_differences(changed, sdl)
    joined = "\n".join(problems)
    assert "field Workflow.treeDepth missing" in joined
    assert "Updated.jobs(deltaType): default 'added' != 'updated'" in joined
    assert "play(mode): default" in joined
    assert "enum WorkflowStopMode lacks NowNow" in joined
    assert "field NodesEdges.nodes: type [Job] != [TaskProxy]" in joined
    assert "workflows(ignoreInterval): default 2.0 != 2.5" in joined


def test_the_schema_validates():
    from graphql import validate_schema

    assert validate_schema(graphql_schema) == []
