"""The GraphQL-level check the executor runs before executing a document."""

from __future__ import annotations

import logging

import pytest
from graphql import parse

from uiserver.auth import Authorizer, check_document, collect_top_level_fields

OWNER = "olivia"
FORBIDDEN = "HTTP 403: Forbidden"
NOT_IN_SCHEMA = "HTTP 400: Operation not in schema."


@pytest.fixture
def authorizer() -> Authorizer:
    site = {"*": {"*": {"default": "READ", "limit": "ALL"}}}
    user = {"operator": ["READ", "hold", "release"], "nobody": ["!ALL"]}
    return Authorizer(OWNER, site, user, groups_of=lambda _user: set())


def test_permitted_fields_give_no_errors(authorizer: Authorizer) -> None:
    assert check_document(authorizer, "operator", False, "query", ["workflows", "__schema"]) == []
    assert check_document(authorizer, "operator", False, "subscription", ["deltas"]) == []
    assert check_document(authorizer, "operator", False, "mutation", ["hold", "release"]) == []
    assert check_document(authorizer, OWNER, False, "mutation", ["broadcast", "stop"]) == []


def test_each_refused_field_gets_a_403_with_its_path(authorizer: Authorizer) -> None:
    fields = ["hold", "stop", "broadcast"]
    errors = check_document(authorizer, "operator", False, "mutation", fields)
    assert errors == [
        {"message": FORBIDDEN, "path": ["stop"]},
        {"message": FORBIDDEN, "path": ["broadcast"]},
    ]


def test_queries_need_read(authorizer: Authorizer) -> None:
    assert check_document(authorizer, "nobody", False, "query", ["workflows", "__typename"]) == [
        {"message": FORBIDDEN, "path": ["workflows"]},
        {"message": FORBIDDEN, "path": ["__typename"]},
    ]
    assert check_document(authorizer, "nobody", False, "subscription", ["deltas"]) == [
        {"message": FORBIDDEN, "path": ["deltas"]}
    ]
    assert check_document(authorizer, "viewer", False, "query", ["workflows"]) == []


def test_unknown_mutation_is_a_400(authorizer: Authorizer) -> None:
    errors = check_document(authorizer, OWNER, False, "mutation", ["hold", "frobnicate"])
    assert errors == [{"message": NOT_IN_SCHEMA}]


def test_token_authenticated_is_the_owner(authorizer: Authorizer) -> None:
    assert check_document(authorizer, "nobody", True, "mutation", ["stop", "broadcast"]) == []


def test_repeated_fields_are_reported_once(authorizer: Authorizer) -> None:
    errors = check_document(authorizer, "viewer", False, "mutation", ["stop", "stop"])
    assert errors == [{"message": FORBIDDEN, "path": ["stop"]}]


def test_errors_during_the_check_refuse(caplog: pytest.LogCaptureFixture) -> None:
    def broken_groups(user: str) -> set[str]:
        raise OSError("group database unavailable")

    authorizer = Authorizer(
        OWNER, {"*": {"group:ops": {"default": "ALL"}}}, {}, groups_of=broken_groups
    )
    with caplog.at_level(logging.ERROR, logger="uiserver.auth"):
        errors = check_document(authorizer, "dave", False, "query", ["workflows"])
    assert errors == [{"message": FORBIDDEN, "path": ["workflows"]}]
    assert "checking query field 'workflows' for user 'dave' failed" in caplog.text
    # The owner needs no group look-up and is unaffected.
    assert check_document(authorizer, OWNER, False, "query", ["workflows"]) == []


def test_a_bad_operation_type_refuses(authorizer: Authorizer) -> None:
    assert check_document(authorizer, OWNER, False, "bogus", ["hold"]) == [
        {"message": FORBIDDEN, "path": ["hold"]}
    ]


# -- collecting the fields -----------------------------------------------------


def test_collects_fields_through_fragments() -> None:
    document = parse(
        """
        fragment Hidden on UISMutations { stop(workflows: ["*"]) { result } ...Nested }
        fragment Nested on UISMutations { broadcast(workflows: ["*"]) { result } }
        mutation M { a: hold(workflows: ["*"], tasks: ["x"]) { result }
                     ...Hidden
                     ... on UISMutations { kill(workflows: ["*"], tasks: ["x"]) { result } }
                     hold(workflows: ["y"], tasks: ["x"]) { result } }
        query Q { workflows { id } }
        """
    )
    assert collect_top_level_fields(document, "M") == (
        "mutation",
        ["hold", "stop", "broadcast", "kill"],
    )
    assert collect_top_level_fields(document, "Q") == ("query", ["workflows"])


def test_collect_tolerates_fragment_cycles_and_unknown_fragments() -> None:
    document = parse(
        """
        fragment A on UISQueries { workflows { id } ...B }
        fragment B on UISQueries { jobs { id } ...A ...Missing }
        { ...A }
        """
    )
    assert collect_top_level_fields(document) == ("query", ["workflows", "jobs"])


def test_collect_needs_one_operation() -> None:
    document = parse("query A { workflows { id } } query B { jobs { id } }")
    with pytest.raises(ValueError, match="cannot pick one operation"):
        collect_top_level_fields(document)
    with pytest.raises(ValueError, match="cannot pick one operation"):
        collect_top_level_fields(document, "C")
    assert collect_top_level_fields(document, "B") == ("query", ["jobs"])


def test_collected_fields_feed_the_check(authorizer: Authorizer) -> None:
    document = parse(
        "fragment F on UISMutations { stop(workflows: [\"*\"]) { result } }"
        "mutation { hold(workflows: [\"*\"], tasks: [\"x\"]) { result } ...F }"
    )
    operation_type, fields = collect_top_level_fields(document)
    assert check_document(authorizer, "operator", False, operation_type, fields) == [
        {"message": FORBIDDEN, "path": ["stop"]}
    ]
