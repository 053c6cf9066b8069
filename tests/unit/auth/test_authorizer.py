"""The authorisation algorithm of web-api §12, rule by rule."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from uiserver.auth import (
    ALL,
    CACHE_SIZE,
    CONTROL,
    READ,
    AuthorizationError,
    Authorizer,
)

OWNER = "olivia"

#: web-api §13.1, verbatim.
OWNER_PROFILE_PERMISSIONS = (
    "broadcast, clean, extTrigger, hold, kill, message, pause, play, poll, read, release, "
    "releaseHoldPoint, reload, remove, resume, scan, set, setGraphWindowExtent, setHoldPoint, "
    "setVerbosity, stop, trigger"
).split(", ")


class Groups:
    """An injected group database that counts its look-ups."""

    def __init__(self, membership: dict[str, set[str]] | None = None) -> None:
        self.membership = membership or {}
        self.calls: list[str] = []

    def __call__(self, user: str) -> set[str]:
        self.calls.append(user)
        return set(self.membership.get(user, set()))


def make(site: dict, user: dict, groups: Callable[[str], set[str]] | None = None) -> Authorizer:
    return Authorizer(OWNER, site, user, groups_of=groups or Groups())


# -- the worked example ------------------------------------------------------

EXAMPLE_SITE = {"*": {"*": {"default": "READ"}, "bob": {"limit": ["ALL"]}}}
EXAMPLE_USER = {"group:ops": ["CONTROL"], "carol": ["READ", "CONTROL", "!stop"], "bob": ["ALL"]}


@pytest.fixture
def example() -> Authorizer:
    return make(EXAMPLE_SITE, EXAMPLE_USER, Groups({"alice": {"ops"}, "carol": {"users"}}))


def test_example_alice_gets_nothing(example: Authorizer) -> None:
    # Her limit is READ and her grant is CONTROL, which does not include read.
    assert example.permissions("alice") == frozenset()


def test_example_carol_gets_read_only(example: Authorizer) -> None:
    assert example.permissions("carol") == {"read"}


def test_example_dave_gets_read_from_the_site_default(example: Authorizer) -> None:
    assert example.permissions("dave") == {"read"}


def test_example_bob_gets_all_22(example: Authorizer) -> None:
    assert example.permissions("bob") == ALL
    assert len(example.permissions("bob")) == 22


def test_example_empty_site_grants_nothing_to_others() -> None:
    authorizer = make({}, {"*": ["ALL"]})
    assert authorizer.permissions("dave") == frozenset()
    assert authorizer.permissions(OWNER) == ALL


# -- owner and token ---------------------------------------------------------


def test_owner_always_gets_all_whatever_the_config() -> None:
    authorizer = make({"*": {"*": {"limit": ["!ALL"]}}}, {OWNER: ["!ALL"], "*": ["!ALL"]})
    assert authorizer.permissions(OWNER) == ALL
    assert authorizer.is_permitted(OWNER, "broadcast")


def test_token_authenticated_requests_get_all() -> None:
    authorizer = make({}, {})
    assert authorizer.permissions("mallory") == frozenset()
    assert authorizer.permissions("mallory", token_authenticated=True) == ALL
    assert authorizer.permissions("", token_authenticated=True) == ALL
    assert authorizer.is_permitted("mallory", "stop", token_authenticated=True)


def test_anonymous_gets_nothing_even_from_star() -> None:
    authorizer = make({"*": {"*": {"default": "ALL"}}}, {"*": ["ALL"]})
    assert authorizer.permissions("") == frozenset()
    assert authorizer.permissions("anyone") == ALL


# -- the site owner dict -----------------------------------------------------


def test_site_entries_apply_only_for_a_matching_owner() -> None:
    groups = Groups({OWNER: {"staff"}})
    site = {
        "someone_else": {"*": {"default": "ALL"}},
        "group:admins": {"*": {"default": "ALL"}},
        "group:staff": {"dave": {"default": ["hold"]}},
        OWNER: {"dave": {"default": ["release"]}},
        "*": {"dave": {"default": ["read"]}},
    }
    authorizer = make(site, {}, groups)
    assert authorizer.permissions("dave") == {"hold", "release", "read"}
    assert authorizer.permissions("erin") == frozenset()


def test_owner_groups_are_looked_up_once_per_configuration() -> None:
    groups = Groups({OWNER: {"staff"}})
    authorizer = make({"group:staff": {"*": {"default": "READ"}}}, {}, groups)
    for user in ("a", "b", "c"):
        assert authorizer.permissions(user) == READ
    # One look-up for the owner; users need none (no group: user rules).
    assert groups.calls == [OWNER]


# -- limits ------------------------------------------------------------------


def test_limit_without_default_grants_nothing_by_itself() -> None:
    authorizer = make({"*": {"bob": {"limit": ["ALL"]}}}, {})
    assert authorizer.permissions("bob") == frozenset()


def test_limit_without_default_caps_the_owner_grant() -> None:
    authorizer = make({"*": {"bob": {"limit": ["CONTROL"]}}}, {"bob": ["ALL"]})
    assert authorizer.permissions("bob") == CONTROL


def test_default_without_limit_is_also_the_limit() -> None:
    authorizer = make({"*": {"*": {"default": ["READ"]}}}, {"carol": ["ALL"]})
    assert authorizer.permissions("carol") == READ


def test_default_and_limit() -> None:
    site = {"*": {"*": {"default": "READ", "limit": "ALL"}}}
    authorizer = make(site, {"carol": ["ALL"]})
    assert authorizer.permissions("dave") == READ
    assert authorizer.permissions("carol") == ALL


def test_limits_are_the_union_of_matching_entries() -> None:
    groups = Groups({"dave": {"ops"}})
    site = {
        "*": {
            "*": {"limit": ["read"]},
            "group:ops": {"limit": ["hold"]},
            "dave": {"limit": ["stop"]},
        }
    }
    authorizer = make(site, {"*": ["ALL"]}, groups)
    assert authorizer.permissions("dave") == {"read", "hold", "stop"}
    assert authorizer.permissions("erin") == {"read"}


def test_negated_limit_cannot_be_granted() -> None:
    site = {"*": {"*": {"limit": ["ALL", "!broadcast"]}, "bob": {"limit": ["broadcast"]}}}
    authorizer = make(site, {"*": ["ALL"]})
    assert authorizer.permissions("bob") == ALL - {"broadcast"}


# -- requested ---------------------------------------------------------------


def test_owner_entries_replace_site_defaults() -> None:
    # Any matching owner entry, even a smaller one, means site defaults are unused.
    site = {"*": {"*": {"default": "ALL", "limit": "ALL"}}}
    authorizer = make(site, {"dave": ["READ"]})
    assert authorizer.permissions("dave") == READ
    assert authorizer.permissions("erin") == ALL


def test_requested_is_the_union_of_matching_owner_entries() -> None:
    groups = Groups({"dave": {"ops"}})
    site = {"*": {"*": {"limit": "ALL"}}}
    user = {"*": ["read"], "group:ops": ["hold"], "dave": ["release"], "erin": ["stop"]}
    authorizer = make(site, user, groups)
    assert authorizer.permissions("dave") == {"read", "hold", "release"}


def test_site_defaults_are_united() -> None:
    groups = Groups({"dave": {"ops"}})
    site = {"*": {"*": {"default": "READ"}, "group:ops": {"default": ["hold", "release"]}}}
    authorizer = make(site, {}, groups)
    assert authorizer.permissions("dave") == {"read", "hold", "release"}


# -- negations ---------------------------------------------------------------


def test_negation_beats_addition_across_entries() -> None:
    groups = Groups({"dave": {"ops"}})
    site = {"*": {"*": {"limit": "ALL"}}}
    user = {"group:ops": ["ALL"], "dave": ["!stop", "!kill"]}
    authorizer = make(site, user, groups)
    assert authorizer.permissions("dave") == ALL - {"stop", "kill"}


def test_negated_group() -> None:
    site = {"*": {"*": {"limit": "ALL"}}}
    user = {"*": ["ALL", "!CONTROL"], "dave": ["stop"], "erin": ["!ALL"]}
    authorizer = make(site, user)
    # CONTROL's removal beats dave's own stop: negation wins, even from '*'.
    assert authorizer.permissions("dave") == {"read", "broadcast"}
    assert authorizer.permissions("erin") == frozenset()
    assert authorizer.permissions("frank") == {"read", "broadcast"}


def test_negation_in_site_default_applies() -> None:
    authorizer = make({"*": {"*": {"default": ["ALL", "!broadcast"]}}}, {})
    assert authorizer.permissions("dave") == ALL - {"broadcast"}


def test_camel_case_names_are_accepted_in_config() -> None:
    user = {"dave": ["read", "setHoldPoint", "extTrigger"]}
    authorizer = make({"*": {"*": {"limit": "ALL"}}}, user)
    assert authorizer.permissions("dave") == {"read", "set_hold_point", "ext_trigger"}


# -- groups --------------------------------------------------------------------


def test_group_lookups_are_skipped_without_group_rules() -> None:
    groups = Groups({"dave": {"ops"}})
    authorizer = make({"*": {"*": {"default": "READ"}}}, {"dave": ["ALL"]}, groups)
    assert authorizer.permissions("dave") == READ
    assert groups.calls == []


def test_a_user_in_no_configured_group() -> None:
    groups = Groups({"dave": {"other"}})
    authorizer = make({"*": {"group:ops": {"default": "READ"}}}, {}, groups)
    assert authorizer.permissions("dave") == frozenset()


# -- API details ---------------------------------------------------------------


def test_owner_camel_permissions_equal_the_userprofile_list(example: Authorizer) -> None:
    assert example.camel_permissions(OWNER) == OWNER_PROFILE_PERMISSIONS
    assert example.camel_permissions("bob") == OWNER_PROFILE_PERMISSIONS
    assert example.camel_permissions("x", token_authenticated=True) == OWNER_PROFILE_PERMISSIONS


def test_camel_permissions_are_sorted_camel_case() -> None:
    user = {"dave": ["set_hold_point", "read", "ext_trigger"]}
    authorizer = make({"*": {"*": {"limit": "ALL"}}}, user)
    assert authorizer.camel_permissions("dave") == ["extTrigger", "read", "setHoldPoint"]
    assert authorizer.camel_permissions("erin") == []


def test_is_permitted(example: Authorizer) -> None:
    assert example.is_permitted("carol", "read")
    assert not example.is_permitted("carol", "stop")
    assert not example.is_permitted("alice", "read")
    with pytest.raises(ValueError, match="unknown operation 'setHoldPoint'"):
        example.is_permitted("carol", "setHoldPoint")


@pytest.mark.parametrize(
    ("operation_type", "field", "operation"),
    [
        ("query", "workflows", "read"),
        ("query", "__schema", "read"),
        ("query", "__type", "read"),
        ("query", "anythingAtAll", "read"),
        ("subscription", "deltas", "read"),
        ("subscription", "__typename", "read"),
        ("mutation", "__typename", "read"),
        ("mutation", "hold", "hold"),
        ("mutation", "setHoldPoint", "set_hold_point"),
        ("mutation", "extTrigger", "ext_trigger"),
        ("mutation", "setGraphWindowExtent", "set_graph_window_extent"),
        ("mutation", "set_hold_point", None),
        ("mutation", "read", None),
        ("mutation", "deleteEverything", None),
        ("mutation", "Hold", None),
    ],
)
def test_operation_for_field(operation_type: str, field: str, operation: str | None) -> None:
    assert make({}, {}).operation_for_field(operation_type, field) == operation


def test_operation_for_field_rejects_unknown_operation_types() -> None:
    with pytest.raises(ValueError, match="unknown GraphQL operation type 'fragment'"):
        make({}, {}).operation_for_field("fragment", "hold")


# -- refusals are logged once ----------------------------------------------------


def test_refusals_are_logged_once_per_user_and_operation(
    example: Authorizer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="uiserver.auth"):
        for _ in range(3):
            assert not example.is_permitted("carol", "stop")
        assert not example.is_permitted("carol", "kill")
        assert not example.is_permitted("dave", "stop")
        assert example.is_permitted("carol", "read")
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.INFO] * 3
    assert [r.getMessage() for r in refusals] == [
        "Authorization: refused 'stop' to user 'carol' on 'olivia''s workflows",
        "Authorization: refused 'kill' to user 'carol' on 'olivia''s workflows",
        "Authorization: refused 'stop' to user 'dave' on 'olivia''s workflows",
    ]


def test_refusals_log_to_the_given_logger(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.auth.custom")
    authorizer = Authorizer(OWNER, {}, {}, log=log, groups_of=Groups())
    with caplog.at_level(logging.INFO, logger="test.auth.custom"):
        assert not authorizer.is_permitted("dave", "read")
    assert [r.name for r in caplog.records if "refused" in r.getMessage()] == ["test.auth.custom"]
    assert authorizer.log is log


# -- cache and reconfiguration -----------------------------------------------------


def test_results_are_cached_per_user() -> None:
    groups = Groups({"dave": {"ops"}})
    authorizer = make({"*": {"group:ops": {"default": "READ"}}}, {}, groups)
    for _ in range(5):
        assert authorizer.permissions("dave") == READ
    assert groups.calls == ["dave"]


def test_cache_is_bounded_least_recently_used_first() -> None:
    groups = Groups()
    authorizer = make({"*": {"group:ops": {"default": "READ"}}}, {}, groups)
    users = [f"user{i}" for i in range(CACHE_SIZE)]
    for user in users:
        authorizer.permissions(user)
    authorizer.permissions("user0")  # now the most recently used
    authorizer.permissions("newcomer")  # evicts user1
    groups.calls.clear()
    authorizer.permissions("user0")
    assert groups.calls == []
    authorizer.permissions("user1")
    assert groups.calls == ["user1"]


def test_reconfigure_applies_at_once_and_clears_the_cache(example: Authorizer) -> None:
    assert example.permissions("dave") == READ
    example.reconfigure({"*": {"*": {"limit": "ALL"}}}, {"dave": ["CONTROL"]})
    assert example.permissions("dave") == CONTROL
    assert example.permissions("carol") == frozenset()
    example.reconfigure({}, {})
    assert example.permissions("dave") == frozenset()
    assert example.permissions(OWNER) == ALL


def test_reconfigure_with_a_bad_config_keeps_the_old_one(example: Authorizer) -> None:
    assert example.permissions("dave") == READ
    with pytest.raises(AuthorizationError, match=r"\['dave'\]: empty permission list"):
        example.reconfigure({"*": {"*": {"limit": "ALL"}}}, {"dave": []})
    assert example.permissions("dave") == READ
    assert example.permissions("bob") == ALL


def test_reconfigure_logs_refusals_afresh(
    example: Authorizer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="uiserver.auth"):
        example.is_permitted("carol", "stop")
        example.reconfigure(EXAMPLE_SITE, EXAMPLE_USER)
        example.is_permitted("carol", "stop")
    refusals = [r for r in caplog.records if "refused 'stop'" in r.getMessage()]
    assert len(refusals) == 2


def test_reconfigure_looks_up_owner_groups_again() -> None:
    groups = Groups({OWNER: {"staff"}})
    authorizer = make({"group:staff": {"*": {"default": "READ"}}}, {}, groups)
    assert authorizer.permissions("dave") == READ
    groups.membership[OWNER] = set()
    authorizer.reconfigure({"group:staff": {"*": {"default": "READ"}}}, {})
    assert authorizer.permissions("dave") == frozenset()
