"""Who may do what: the per-user authorisation model of web-api §12."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .config import (
    AuthorizationError,
    Permissions,
    Policy,
    SiteEntry,
    identity_matches,
    parse_policy,
)
from .groups import SystemGroups
from .operations import ALL, MUTATIONS, OPERATIONS, camel_case, snake_case

__all__ = ["Authorizer", "CACHE_SIZE"]

#: Users whose permissions are remembered per configuration (least recently
#: used first out), as in the reference server.
CACHE_SIZE = 128
#: (user, operation) refusals remembered so each is logged only once.
_REFUSALS_REMEMBERED = 4096
_QUERY_TYPES = ("query", "subscription")


class _State:
    """One validated configuration with the results computed from it.

    Swapped as a whole by :meth:`Authorizer.reconfigure`, so a result computed
    under an old configuration can never land in the new one's cache.
    """

    __slots__ = ("policy", "cache", "refusals", "owner_entries", "lock")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.cache: OrderedDict[str, frozenset[str]] = OrderedDict()
        self.refusals: OrderedDict[tuple[str, str], None] = OrderedDict()
        #: The site "owner dict", worked out on first use (it needs the
        #: owner's groups, and a failing group lookup should refuse requests,
        #: not the configuration).
        self.owner_entries: tuple[tuple[str, SiteEntry], ...] | None = None
        self.lock = threading.Lock()


class Authorizer:
    """Decides which operations each user may perform on the owner's workflows.

    The owner, and any token-authenticated request (the caller passes
    ``token_authenticated=True`` only in standalone mode, web-api §3), gets
    every operation. Anyone else gets ``limits ∩ requested`` as web-api §12
    defines them. Results are cached per user until :meth:`reconfigure`.
    """

    def __init__(
        self,
        owner: str,
        site_authorization: dict,
        user_authorization: dict,
        *,
        log: logging.Logger | None = None,
        groups_of: Callable[[str], set[str]] | None = None,
    ) -> None:
        if not isinstance(owner, str) or not owner:
            raise AuthorizationError(f"owner: expected a user name, got {owner!r}")
        self._owner = owner
        self._log = log if log is not None else logging.getLogger("uiserver.auth")
        # Only the system database can also say whether a configured group exists.
        self._system_groups: SystemGroups | None = None
        self._groups_of: Callable[[str], set[str]]
        if groups_of is None:
            self._system_groups = self._groups_of = SystemGroups(self._log)
        else:
            self._groups_of = groups_of
        self._state = self._prepare(site_authorization, user_authorization)

    @property
    def owner(self) -> str:
        """The account whose workflows are being authorised."""
        return self._owner

    @property
    def log(self) -> logging.Logger:
        """Where refusals and configuration problems are logged."""
        return self._log

    def reconfigure(self, site_authorization: dict, user_authorization: dict) -> None:
        """Validate and switch to a new configuration, forgetting cached results.

        Raises :class:`AuthorizationError` and keeps the old configuration if
        the new one is malformed.
        """
        state = self._prepare(site_authorization, user_authorization)
        # One attribute store: readers see the old state or the new one, whole.
        self._state = state
        self._log.info("Authorization: configuration reloaded; cached permissions cleared")

    def permissions(self, user: str, token_authenticated: bool = False) -> frozenset[str]:
        """The snake_case operations ``user`` may perform.

        An empty ``user`` (not authenticated) gets nothing. An exception from
        ``groups_of`` propagates and nothing is cached, so the next call tries
        again; :func:`check_document` turns it into a refusal.
        """
        if token_authenticated or user == self._owner:
            return ALL
        if not user:
            return frozenset()
        state = self._state
        with state.lock:
            cached = state.cache.get(user)
            if cached is not None:
                state.cache.move_to_end(user)
                return cached
        result = self._compute(state, user)
        with state.lock:
            state.cache[user] = result
            state.cache.move_to_end(user)
            while len(state.cache) > CACHE_SIZE:
                state.cache.popitem(last=False)
        return result

    def is_permitted(self, user: str, operation: str, token_authenticated: bool = False) -> bool:
        """Whether ``user`` may perform ``operation`` (snake_case).

        A refusal is logged at INFO, once per (user, operation) and
        configuration. Raises ``ValueError`` for a name not in ``OPERATIONS``.
        """
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
        if operation in self.permissions(user, token_authenticated):
            return True
        self._log_refusal(user, operation)
        return False

    def camel_permissions(self, user: str, token_authenticated: bool = False) -> list[str]:
        """The permitted operations in camelCase, sorted, as ``/userprofile`` lists them."""
        return sorted(camel_case(op) for op in self.permissions(user, token_authenticated))

    def operation_for_field(self, operation_type: str, field_name: str) -> str | None:
        """The operation a top-level field of a ``query``, ``mutation`` or
        ``subscription`` needs, or ``None`` for a mutation field that is no
        known operation (answer ``HTTP 400: Operation not in schema.``).

        Introspection fields (``__typename``, ``__schema``, ``__type``) need
        ``read`` wherever they appear. Raises ``ValueError`` for any other
        ``operation_type``.
        """
        if field_name.startswith("__"):
            return "read"
        if operation_type in _QUERY_TYPES:
            return "read"
        if operation_type == "mutation":
            operation = snake_case(field_name)
            # Only the schema's own spelling counts: "hold_point"-style or
            # "read" as a mutation field is not an operation.
            if operation in MUTATIONS and camel_case(operation) == field_name:
                return operation
            return None
        raise ValueError(f"unknown GraphQL operation type {operation_type!r}")

    # -- internals ---------------------------------------------------------

    def _prepare(self, site_authorization: Any, user_authorization: Any) -> _State:
        policy = parse_policy(site_authorization, user_authorization)
        if self._system_groups is not None:
            for name in sorted(policy.group_names):
                if not self._system_groups.group_exists(name):
                    self._log.warning(
                        "Authorization: unix group %r is not known to this system; "
                        "'group:%s' will match nobody",
                        name,
                        name,
                    )
        return _State(policy)

    def _owner_entries(self, state: _State) -> tuple[tuple[str, SiteEntry], ...]:
        entries = state.owner_entries
        if entries is None:
            site = state.policy.site
            needs_groups = any(owner.startswith("group:") for owner, _ in site)
            groups = self._groups_of(self._owner) if needs_groups else set()
            entries = tuple(
                entry
                for owner, owner_entries in site
                if identity_matches(owner, self._owner, groups)
                for entry in owner_entries
            )
            state.owner_entries = entries
        return entries

    def _compute(self, state: _State, user: str) -> frozenset[str]:
        site_entries = self._owner_entries(state)
        user_rules = state.policy.user
        identities = [identity for identity, _ in site_entries]
        identities += [identity for identity, _ in user_rules]
        # The group database is only consulted when a group rule could match.
        needs_groups = any(identity.startswith("group:") for identity in identities)
        groups = self._groups_of(user) if needs_groups else set()

        matching_site = [e for i, e in site_entries if identity_matches(i, user, groups)]
        limits = Permissions()
        for entry in matching_site:
            limits |= entry.effective_limit

        requested = Permissions()
        granted_by_owner = [p for i, p in user_rules if identity_matches(i, user, groups)]
        if granted_by_owner:
            for permissions in granted_by_owner:
                requested |= permissions
        else:
            for entry in matching_site:
                if entry.default is not None:
                    requested |= entry.default
        return limits.resolve() & requested.resolve()

    def _log_refusal(self, user: str, operation: str) -> None:
        state = self._state
        key = (user, operation)
        with state.lock:
            if key in state.refusals:
                return
            state.refusals[key] = None
            while len(state.refusals) > _REFUSALS_REMEMBERED:
                state.refusals.popitem(last=False)
        self._log.info(
            "Authorization: refused %r to user %r on %r's workflows",
            operation,
            user or "<anonymous>",
            self._owner,
        )
