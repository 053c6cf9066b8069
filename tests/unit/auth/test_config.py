"""Malformed configurations are refused up front, with messages that say where."""

from __future__ import annotations

import re

import pytest

from uiserver.auth import ALL, Authorizer, AuthorizationError

SITE = "c.CylcUIServer.site_authorization"
USER = "c.CylcUIServer.user_authorization"
KNOWN = (
    "expected one of the access groups READ, CONTROL, ALL or an operation "
    "(broadcast, clean, ext_trigger, hold, kill, message, pause, play, poll, read, release, "
    "release_hold_point, reload, remove, resume, scan, set, set_graph_window_extent, "
    "set_hold_point, set_verbosity, stop, trigger), optionally negated with '!'"
)


def make(site: object, user: object) -> Authorizer:
    return Authorizer("owner", site, user, groups_of=lambda _user: set())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("site", "user", "message"),
    [
        (
            {},
            {"bob": []},
            f"{USER}['bob']: empty permission list; to deny everything write ['!ALL']",
        ),
        (
            {"*": {"*": {"default": []}}},
            {},
            f"{SITE}['*']['*']['default']: "
            "empty permission list; to deny everything write ['!ALL']",
        ),
        (
            {},
            {"bob": ["READ", "stpo"]},
            f"{USER}['bob'][1]: unknown permission 'stpo'; {KNOWN}",
        ),
        (
            {},
            {"bob": ["!everything"]},
            f"{USER}['bob'][0]: unknown permission 'everything'; {KNOWN}",
        ),
        (
            {"*": {"*": {"limit": "read_all"}}},
            {},
            f"{SITE}['*']['*']['limit']: unknown permission 'read_all'; {KNOWN}",
        ),
        (
            {},
            {"bob": ["all"]},
            f"{USER}['bob'][0]: unknown permission 'all'; {KNOWN}",
        ),
        (
            {},
            {"bob": [3]},
            f"{USER}['bob'][0]: expected a permission string, got int 3",
        ),
        (
            {},
            {"bob": {"read": True}},
            f"{USER}['bob']: expected a list of permissions, got dict {{'read': True}}",
        ),
        (
            {},
            ["bob"],
            f"{USER}: expected a dict {{user: [permissions...]}}, got list ['bob']",
        ),
        (
            {"*": ["READ"]},
            {},
            f"{SITE}['*']: expected a dict {{user: {{'default': [...], 'limit': [...]}}}}, "
            "got list ['READ']",
        ),
        (
            {"*": {"bob": ["READ"]}},
            {},
            f"{SITE}['*']['bob']: expected a dict {{'default': [...], 'limit': [...]}}, "
            "got list ['READ']",
        ),
        (
            {"*": {"bob": {"defaults": ["READ"]}}},
            {},
            f"{SITE}['*']['bob']: unknown key 'defaults'; "
            "an entry may only have 'default' and 'limit'",
        ),
        (
            {"*": {"bob": {}}},
            {},
            f"{SITE}['*']['bob']: empty entry; give it a 'default' or a 'limit'",
        ),
        (
            {},
            {"group:": ["READ"]},
            f"{USER}: 'group:' names no group; write 'group:<name>'",
        ),
        (
            {},
            {"bo*": ["READ"]},
            f"{USER}: 'bo*': globs are not supported; "
            "use '*' alone, a user name or 'group:<unix group>'",
        ),
        (
            {"": {"*": {"default": "READ"}}},
            {},
            f"{SITE}: '' is not an identity; use a user name, 'group:<unix group>' or '*'",
        ),
        (
            {},
            {1: ["READ"]},
            f"{USER}: 1 is not an identity; use a user name, 'group:<unix group>' or '*'",
        ),
        (
            {},
            {" bob": ["READ"]},
            f"{USER}: identity ' bob' has surrounding spaces",
        ),
    ],
)
def test_invalid_configurations(site: object, user: object, message: str) -> None:
    with pytest.raises(AuthorizationError) as info:
        make(site, user)
    assert str(info.value) == message


def test_authorization_error_is_a_value_error() -> None:
    assert issubclass(AuthorizationError, ValueError)


def test_owner_must_be_a_name() -> None:
    with pytest.raises(AuthorizationError, match=re.escape("owner: expected a user name, got ''")):
        Authorizer("", {}, {}, groups_of=lambda _user: set())


@pytest.mark.parametrize(
    "permissions",
    [["READ"], ("READ",), "READ", ["read"], ["read", "!stop"], ["!ALL"], ["setHoldPoint"]],
)
def test_valid_permission_spellings(permissions: object) -> None:
    make({}, {"bob": permissions})


def test_none_is_an_empty_configuration() -> None:
    authorizer = make(None, None)
    assert authorizer.permissions("bob") == frozenset()
    assert authorizer.permissions("owner") == ALL
