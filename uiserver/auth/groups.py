"""Unix group membership from the system databases, for ``group:`` identities."""

from __future__ import annotations

import grp
import logging
import os
import pwd
import threading

__all__ = ["SystemGroups"]


class SystemGroups:
    """``groups_of(user)``: the names of the unix groups ``user`` belongs to.

    Membership comes from ``os.getgrouplist`` (primary group included), so it
    sees the same sources as ``id <user>`` (files, LDAP through NSS, …). A
    user without a local account has no groups; a group id without a name
    is skipped. Each such problem is logged once, so a busy server does not
    repeat it on every request.
    """

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._reported: set[tuple[str, str | int]] = set()
        self._lock = threading.Lock()

    def __call__(self, user: str) -> set[str]:
        try:
            primary_gid = pwd.getpwnam(user).pw_gid
        except KeyError:
            self._once(
                ("user", user), "no local account for %r: its group: identities match nothing", user
            )
            return set()
        try:
            gids = os.getgrouplist(user, primary_gid)
        except OSError as error:
            self._once(("list", user), "cannot list the groups of %r (%s): none used", user, error)
            return set()
        names: set[str] = set()
        for gid in gids:
            try:
                names.add(grp.getgrgid(gid).gr_name)
            except KeyError:
                self._once(("gid", gid), "group id %d (of %r) has no name: ignored", gid, user)
        return names

    def group_exists(self, name: str) -> bool:
        """Whether the system knows a group called ``name``."""
        try:
            grp.getgrnam(name)
        except KeyError:
            return False
        return True

    def _once(self, key: tuple[str, str | int], message: str, *args: object) -> None:
        with self._lock:
            if key in self._reported:
                return
            self._reported.add(key)
        self._log.warning("Authorization: " + message, *args)
