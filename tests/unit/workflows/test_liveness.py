"""Tests for the local host test and stale contact detection."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace

import psutil
import pytest

from uiserver.workflows import liveness
from uiserver.workflows.contact import ContactInfo
from uiserver.workflows.liveness import LivenessChecker, contact_is_stale, is_local_host

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def child() -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def contact_for(pid: int, command: str | None, host: str = "localhost") -> ContactInfo:
    return ContactInfo(
        workflow_name="demo/run1",
        host=host,
        port=43001,
        pub_port=43002,
        api=5,
        cylc_version="8.5.4",
        pid=pid,
        uuid="u",
        command=command,
    )


def cmdline(pid: int) -> str:
    return " ".join(psutil.Process(pid).cmdline())


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "127.0.0.1", "127.0.1.1", "::1", socket.gethostname(),
             socket.getfqdn()]
)
def test_local_hosts(host: str) -> None:
    assert is_local_host(host)


@pytest.mark.parametrize("host", ["", "192.0.2.1", "2001:db8::1", "no-such-host.invalid"])
def test_remote_hosts(host: str) -> None:
    assert not is_local_host(host)


def test_is_local_host_never_raises(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("resolver exploded")

    monkeypatch.setattr(liveness, "_resolve", boom)
    is_local_host.cache_clear()
    try:
        assert is_local_host("some.other.host.example") is False
    finally:
        is_local_host.cache_clear()


def test_live_matching_process_is_not_stale(child: subprocess.Popen) -> None:
    assert contact_is_stale(contact_for(child.pid, cmdline(child.pid))) is False


def test_pid_reused_by_other_command_is_stale(child: subprocess.Popen) -> None:
    contact = contact_for(child.pid, "/usr/bin/python3 /usr/bin/cylc play demo")
    assert contact_is_stale(contact) is True


def test_dead_process_is_stale(child: subprocess.Popen) -> None:
    command = cmdline(child.pid)
    child.kill()
    child.wait(timeout=10)
    assert contact_is_stale(contact_for(child.pid, command)) is True


def test_zombie_process_is_stale(child: subprocess.Popen) -> None:
    command = cmdline(child.pid)
    child.kill()
    # Wait for it to exit without reaping it, so it stays a zombie.
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    assert contact_is_stale(contact_for(child.pid, command)) is True


def test_remote_host_cannot_tell(child: subprocess.Popen) -> None:
    assert contact_is_stale(contact_for(child.pid, cmdline(child.pid), "192.0.2.1")) is None


def test_missing_pid_or_command_cannot_tell(child: subprocess.Popen) -> None:
    contact = contact_for(child.pid, cmdline(child.pid))
    assert contact_is_stale(replace(contact, pid=None)) is None
    assert contact_is_stale(replace(contact, command=None)) is None


def test_access_denied_cannot_tell(monkeypatch) -> None:
    class Denied:
        def __init__(self, pid: int) -> None:
            raise psutil.AccessDenied(pid)

    monkeypatch.setattr(liveness.psutil, "Process", Denied)
    assert contact_is_stale(contact_for(os.getpid(), "x")) is None


# LivenessChecker: the verdicts of contact_is_stale, with a verified process
# re-checked by its start time alone.


def _count_full_checks(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = liveness.contact_is_stale

    def counting(contact: ContactInfo) -> bool | None:
        calls.append(contact.pid or 0)
        return real(contact)

    monkeypatch.setattr(liveness, "contact_is_stale", counting)
    return calls


def test_checker_rechecks_a_verified_process_cheaply(child, monkeypatch) -> None:
    calls = _count_full_checks(monkeypatch)
    checker = LivenessChecker()
    contact = contact_for(child.pid, cmdline(child.pid))
    assert checker.is_stale(contact) is False
    assert checker.is_stale(contact) is False
    assert checker.is_stale(contact) is False
    assert calls == [child.pid]


def test_checker_sees_a_verified_process_die(child) -> None:
    checker = LivenessChecker()
    contact = contact_for(child.pid, cmdline(child.pid))
    assert checker.is_stale(contact) is False
    child.kill()
    # Not reaped yet: a zombie, which is just as gone.
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    assert checker.is_stale(contact) is True
    child.wait(timeout=10)
    assert checker.is_stale(contact) is True


def test_checker_takes_the_full_check_for_a_new_process_under_the_pid(child, monkeypatch) -> None:
    calls = _count_full_checks(monkeypatch)
    checker = LivenessChecker()
    contact = contact_for(child.pid, cmdline(child.pid))
    assert checker.is_stale(contact) is False
    # As if the PID now belonged to a process started at another time.
    real_stat = liveness._proc_stat
    monkeypatch.setattr(liveness, "_proc_stat", lambda pid: (real_stat(pid)[0], 1))
    monkeypatch.setattr(liveness.psutil.Process, "cmdline", lambda self: ["other", "command"])
    assert checker.is_stale(contact) is True
    assert calls == [child.pid, child.pid]


def test_checker_does_not_remember_mismatches_or_unknowns(child, monkeypatch) -> None:
    calls = _count_full_checks(monkeypatch)
    checker = LivenessChecker()
    wrong = contact_for(child.pid, "/usr/bin/cylc play other")
    remote = contact_for(child.pid, cmdline(child.pid), "192.0.2.1")
    for _ in range(2):
        assert checker.is_stale(wrong) is True
        assert checker.is_stale(remote) is None
    assert len(calls) == 4


def test_checker_retain_forgets_other_processes(child, monkeypatch) -> None:
    calls = _count_full_checks(monkeypatch)
    checker = LivenessChecker()
    contact = contact_for(child.pid, cmdline(child.pid))
    assert checker.is_stale(contact) is False
    checker.retain([contact])
    assert checker.is_stale(contact) is False
    checker.retain([])
    assert checker.is_stale(contact) is False
    assert calls == [child.pid, child.pid]


def test_proc_stat_reads_state_and_start_time(child) -> None:
    state, started = liveness._proc_stat(child.pid)
    assert state in "RSD"
    # psutil's create_time is boot time + start ticks / clock rate.
    ticks = os.sysconf("SC_CLK_TCK")
    assert abs(psutil.boot_time() + started / ticks - psutil.Process(child.pid).create_time()) < 1
    child.kill()
    child.wait(timeout=10)
    assert liveness._proc_stat(child.pid) is None
