"""Validation of the two authorisation traits into an immutable policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .operations import ACCESS_GROUPS, OPERATIONS, camel_case, snake_case

__all__ = [
    "AuthorizationError",
    "Permissions",
    "Policy",
    "SiteEntry",
    "identity_matches",
    "parse_policy",
]

_SITE = "c.CylcUIServer.site_authorization"
_USER = "c.CylcUIServer.user_authorization"
_SITE_ENTRY_KEYS = ("default", "limit")
_GROUP_PREFIX = "group:"


class AuthorizationError(ValueError):
    """An authorisation setting is malformed; the message names the setting."""


@dataclass(frozen=True, slots=True)
class Permissions:
    """One permission list with its access groups expanded.

    ``granted`` and ``denied`` stay apart until every matching list has been
    united, because a negation anywhere beats an addition anywhere.
    """

    granted: frozenset[str] = frozenset()
    denied: frozenset[str] = frozenset()

    def __or__(self, other: Permissions) -> Permissions:
        return Permissions(self.granted | other.granted, self.denied | other.denied)

    def resolve(self) -> frozenset[str]:
        """The operations left once negations are applied."""
        return self.granted - self.denied


@dataclass(frozen=True, slots=True)
class SiteEntry:
    """One ``{"default": …, "limit": …}`` entry of the site configuration."""

    default: Permissions | None
    limit: Permissions | None

    @property
    def effective_limit(self) -> Permissions:
        """The limit, or the default when the entry sets no limit (web-api §12 step 3)."""
        if self.limit is not None:
            return self.limit
        return self.default if self.default is not None else Permissions()


@dataclass(frozen=True, slots=True)
class Policy:
    """Both configurations, validated: identity → rules, in configuration order."""

    #: ``(owner identity, ((user identity, entry), …))`` pairs.
    site: tuple[tuple[str, tuple[tuple[str, SiteEntry], ...]], ...]
    #: ``(user identity, permissions)`` pairs from the owner's configuration.
    user: tuple[tuple[str, Permissions], ...]

    @property
    def group_names(self) -> frozenset[str]:
        """Every unix group named by a ``group:`` identity anywhere."""
        identities = [owner for owner, _ in self.site]
        identities += [user for _, entries in self.site for user, _ in entries]
        identities += [user for user, _ in self.user]
        return frozenset(
            identity[len(_GROUP_PREFIX) :]
            for identity in identities
            if identity.startswith(_GROUP_PREFIX)
        )


def identity_matches(identity: str, name: str, groups: Iterable[str]) -> bool:
    """Whether a configured identity (``*``, a name, ``group:<g>``) covers ``name``."""
    if identity == "*" or identity == name:
        return True
    if identity.startswith(_GROUP_PREFIX):
        return identity[len(_GROUP_PREFIX) :] in groups
    return False


def parse_policy(site_authorization: Any, user_authorization: Any) -> Policy:
    """Validate both traits; raise :class:`AuthorizationError` on the first fault.

    ``None`` is taken as an empty configuration. Permission lists may be
    written as a single string (``"READ"``) or a list of strings.
    """
    return Policy(site=_parse_site(site_authorization), user=_parse_user(user_authorization))


def _parse_site(config: Any) -> tuple[tuple[str, tuple[tuple[str, SiteEntry], ...]], ...]:
    if config is None:
        return ()
    _require_mapping(config, _SITE, "{owner: {user: {'default': [...], 'limit': [...]}}}")
    owners = []
    for owner, users in config.items():
        where = f"{_SITE}[{owner!r}]"
        _check_identity(owner, _SITE)
        _require_mapping(users, where, "{user: {'default': [...], 'limit': [...]}}")
        entries = []
        for user, entry in users.items():
            entry_where = f"{where}[{user!r}]"
            _check_identity(user, where)
            _require_mapping(entry, entry_where, "{'default': [...], 'limit': [...]}")
            unknown = [key for key in entry if key not in _SITE_ENTRY_KEYS]
            if unknown:
                raise AuthorizationError(
                    f"{entry_where}: unknown key {unknown[0]!r}; "
                    "an entry may only have 'default' and 'limit'"
                )
            if not entry:
                raise AuthorizationError(
                    f"{entry_where}: empty entry; give it a 'default' or a 'limit'"
                )
            default = entry.get("default")
            limit = entry.get("limit")
            entries.append(
                (
                    user,
                    SiteEntry(
                        default=None
                        if default is None
                        else _parse_permissions(default, f"{entry_where}['default']"),
                        limit=None
                        if limit is None
                        else _parse_permissions(limit, f"{entry_where}['limit']"),
                    ),
                )
            )
        owners.append((owner, tuple(entries)))
    return tuple(owners)


def _parse_user(config: Any) -> tuple[tuple[str, Permissions], ...]:
    if config is None:
        return ()
    _require_mapping(config, _USER, "{user: [permissions...]}")
    rules = []
    for user, permissions in config.items():
        _check_identity(user, _USER)
        rules.append((user, _parse_permissions(permissions, f"{_USER}[{user!r}]")))
    return tuple(rules)


def _require_mapping(value: Any, where: str, shape: str) -> None:
    if not isinstance(value, Mapping):
        raise AuthorizationError(
            f"{where}: expected a dict {shape}, got {type(value).__name__} {value!r}"
        )


def _check_identity(identity: Any, where: str) -> None:
    if not isinstance(identity, str) or not identity.strip():
        raise AuthorizationError(
            f"{where}: {identity!r} is not an identity; use a user name, "
            "'group:<unix group>' or '*'"
        )
    if identity != identity.strip():
        raise AuthorizationError(f"{where}: identity {identity!r} has surrounding spaces")
    if identity.startswith(_GROUP_PREFIX) and not identity[len(_GROUP_PREFIX) :]:
        raise AuthorizationError(f"{where}: {identity!r} names no group; write 'group:<name>'")
    # Anything glob-like other than the lone '*' would silently match nobody.
    if identity != "*" and any(char in identity for char in "*?["):
        raise AuthorizationError(
            f"{where}: {identity!r}: globs are not supported; "
            "use '*' alone, a user name or 'group:<unix group>'"
        )


def _parse_permissions(value: Any, where: str) -> Permissions:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise AuthorizationError(
            f"{where}: expected a list of permissions, got {type(value).__name__} {value!r}"
        )
    if not items:
        raise AuthorizationError(
            f"{where}: empty permission list; to deny everything write ['!ALL']"
        )
    granted: set[str] = set()
    denied: set[str] = set()
    for index, item in enumerate(items):
        item_where = where if isinstance(value, str) else f"{where}[{index}]"
        if not isinstance(item, str):
            raise AuthorizationError(
                f"{item_where}: expected a permission string, got {type(item).__name__} {item!r}"
            )
        negated = item.startswith("!")
        (denied if negated else granted).update(_expand(item[1:] if negated else item, item_where))
    return Permissions(frozenset(granted), frozenset(denied))


def _expand(name: str, where: str) -> frozenset[str]:
    if name in ACCESS_GROUPS:
        return ACCESS_GROUPS[name]
    if name in OPERATIONS:
        return frozenset({name})
    # The camelCase spelling (as /userprofile lists it) is accepted too.
    if snake_case(name) in OPERATIONS and name == camel_case(snake_case(name)):
        return frozenset({snake_case(name)})
    raise AuthorizationError(
        f"{where}: unknown permission {name!r}; expected one of the access groups "
        f"{', '.join(ACCESS_GROUPS)} or an operation ({', '.join(sorted(OPERATIONS))}), "
        "optionally negated with '!'"
    )

