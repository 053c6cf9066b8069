"""Tell whether a contact file belongs to a scheduler process that no longer exists."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import socket
from collections.abc import Iterable

import psutil

from .contact import ContactInfo

__all__ = ["LivenessChecker", "contact_is_stale", "is_local_host"]


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


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """State letter and start time (clock ticks after boot) of ``pid``, from ``/proc``.

    None if there is no such process; raises OSError where ``/proc`` cannot
    tell (not Linux, or not readable).
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        if not os.path.isdir("/proc/self"):
            raise
        return None
    # The command name (field 2) may hold spaces and parentheses: count
    # fields from the last ")". Field 3 is the state, field 22 the start time.
    try:
        fields = data[data.rindex(b")") + 2 :].split()
        return fields[0].decode("ascii"), int(fields[19])
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise OSError(f"unexpected /proc/{pid}/stat") from exc


class LivenessChecker:
    """:func:`contact_is_stale` for repeated scans: a verified scheduler is re-checked cheaply.

    The full check asks the OS for a process's status and command line (four
    reads of ``/proc``). Once a contact file's process has matched, later
    checks only read its start time: the same PID with the same start time is
    the same process, so its command line has not changed. Hundreds of
    running workflows are rescanned every few seconds.
    """

    def __init__(self) -> None:
        # (host, pid, command) -> start time of the process that matched.
        self._verified: dict[tuple[str, int, str], int] = {}

    def is_stale(self, contact: ContactInfo) -> bool | None:
        """The same verdict as :func:`contact_is_stale` (blocking, as that is)."""
        if contact.pid is None or contact.command is None:
            return None
        key = (contact.host, contact.pid, contact.command)
        # Taken out, and put back only while the same process is alive.
        started = self._verified.pop(key, None)
        if started is not None:
            try:
                stat = _proc_stat(contact.pid)
            except OSError:
                pass  # cannot tell cheaply: take the full check
            else:
                if stat is None or stat[0] == "Z":
                    return True
                if stat[1] == started:
                    self._verified[key] = started
                    return False
                # Otherwise a new process under that PID: take the full check.
        try:
            before = _proc_stat(contact.pid)
        except OSError:
            before = None
        verdict = contact_is_stale(contact)
        if verdict is False and before is not None:
            # Start times before and after agree: the process that matched is
            # the one whose start time is remembered.
            with contextlib.suppress(OSError):
                if _proc_stat(contact.pid) == before:
                    self._verified[key] = before[1]
        return verdict

    def retain(self, contacts: Iterable[ContactInfo]) -> None:
        """Forget every process but those of ``contacts`` (the latest scan's)."""
        keep = {(c.host, c.pid, c.command) for c in contacts}
        for key in [k for k in self._verified if k not in keep]:
            del self._verified[key]
