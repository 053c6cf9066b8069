"""The default group database: the system's, for the user running the tests."""

from __future__ import annotations

import grp
import logging
import os
import pwd
import shutil
import subprocess

import pytest

from uiserver.auth import READ, Authorizer, SystemGroups

ME = pwd.getpwuid(os.getuid()).pw_name
NO_SUCH_USER = "no-such-user-cylc-uis-test"
NO_SUCH_GROUP = "no-such-group-cylc-uis-test"


@pytest.mark.skipif(shutil.which("id") is None, reason="needs id(1)")
def test_groups_of_the_current_user_match_id() -> None:
    expected = set(
        subprocess.run(
            ["id", "-Gn", ME], capture_output=True, text=True, check=True, timeout=10
        ).stdout.split()
    )
    assert SystemGroups(logging.getLogger("test"))(ME) == expected
    assert grp.getgrgid(pwd.getpwnam(ME).pw_gid).gr_name in expected


def test_default_groups_of_grants_by_real_group() -> None:
    primary = grp.getgrgid(pwd.getpwnam(ME).pw_gid).gr_name
    site = {"*": {f"group:{primary}": {"default": "READ"}}}
    # The owner is someone else, so the current user is judged by the rules.
    authorizer = Authorizer("someone-else", site, {})
    assert authorizer.permissions(ME) == READ
    assert authorizer.permissions(NO_SUCH_USER) == frozenset()


def test_unknown_user_has_no_groups_and_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    groups = SystemGroups(logging.getLogger("test.groups"))
    with caplog.at_level(logging.WARNING, logger="test.groups"):
        assert groups(NO_SUCH_USER) == set()
        assert groups(NO_SUCH_USER) == set()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"Authorization: no local account for {NO_SUCH_USER!r}: "
        "its group: identities match nothing"
    ]


def test_unknown_configured_group_is_logged_and_matches_nobody(
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = {"*": {f"group:{NO_SUCH_GROUP}": {"default": "ALL"}}}
    with caplog.at_level(logging.WARNING, logger="uiserver.auth"):
        authorizer = Authorizer("someone-else", site, {f"group:{NO_SUCH_GROUP}": ["ALL"]})
    assert [r.getMessage() for r in caplog.records] == [
        f"Authorization: unix group {NO_SUCH_GROUP!r} is not known to this system; "
        f"'group:{NO_SUCH_GROUP}' will match nobody"
    ]
    assert authorizer.permissions(ME) == frozenset()


def test_group_id_without_a_name_is_ignored_and_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    unnamed = next(gid for gid in range(60000, 65000) if not _gid_exists(gid))
    real = pwd.getpwnam(ME)
    # Give the current user a primary group id that names no group; the
    # group database calls themselves stay real.
    monkeypatch.setattr(
        "uiserver.auth.groups.pwd.getpwnam",
        lambda name: type("Entry", (), {"pw_gid": unnamed})() if name == ME else real,
    )
    groups = SystemGroups(logging.getLogger("test.gid"))
    with caplog.at_level(logging.WARNING, logger="test.gid"):
        first = groups(ME)
        second = groups(ME)
    assert first == second
    assert all(isinstance(name, str) for name in first)
    assert [r.getMessage() for r in caplog.records] == [
        f"Authorization: group id {unnamed} (of {ME!r}) has no name: ignored"
    ]


def _gid_exists(gid: int) -> bool:
    try:
        grp.getgrgid(gid)
    except KeyError:
        return False
    return True
