"""Tell whether a contact file belongs to a scheduler process that no longer exists."""

from __future__ import annotations

import functools
import ipaddress
import socket

import psutil

from .contact import ContactInfo

__all__ = ["contact_is_stale", "is_local_host"]


def _is_loopback(address: str) -> bool:
    try:
        # Drop any IPv6 zone ("fe80::1%eth0") before parsing.
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _resolve(host: str) -> frozenset[str]:
    """Addresses ``host`` resolves to; empty if it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return frozenset()
    return frozenset(str(info[4][0]).split("%", 1)[0] for info in infos)


@functools.lru_cache(maxsize=1)
def _local_identity() -> tuple[frozenset[str], frozenset[str]]:
    """This machine's host names and the addresses they resolve to."""
    names: set[str] = {"localhost"}
    for get_name in (socket.gethostname, socket.getfqdn):
        try:
            name = get_name()
        except OSError:
            continue
        if name:
            names.add(name.lower())
    addresses: set[str] = set()
    for name in names:
        addresses |= _resolve(name)
    return frozenset(names), frozenset(addresses)


@functools.lru_cache(maxsize=256)
def is_local_host(host: str) -> bool:
    """Whether ``host`` (a name or an address) refers to this machine.

    Cached, because name resolution can be slow and scans repeat every few
    seconds; never raises (an unresolvable name counts as not local).
    """
    try:
        host = host.strip().lower()
        if not host:
            return False
        names, addresses = _local_identity()
        if host in names or _is_loopback(host) or host in addresses:
            return True
        resolved = _resolve(host)
        return any(_is_loopback(a) or a in addresses for a in resolved)
    except Exception:  # noqa: BLE001 - a liveness hint must never break a scan
        return False


def contact_is_stale(contact: ContactInfo) -> bool | None:
    """Whether the scheduler that wrote ``contact`` has gone.

    True if its local PID does not exist, is a zombie, or now runs a
    different command (the PID was reused); False if it is alive and matches;
    None when this cannot be told: the scheduler host is not this machine,
    the file has no PID or command, or the process may not be inspected.
    Blocking (it asks the OS about the process): run it in an executor.
    """
    if contact.pid is None or contact.command is None or not is_local_host(contact.host):
        return None
    try:
        process = psutil.Process(contact.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return True
        cmdline = process.cmdline()
    except psutil.NoSuchProcess:  # includes ZombieProcess
        return True
    except psutil.AccessDenied:
        return None
    except (psutil.Error, OSError):
        return None
    return " ".join(cmdline) != contact.command
