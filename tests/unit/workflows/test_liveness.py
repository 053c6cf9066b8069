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
from uiserver.workflows.liveness import contact_is_stale, is_local_host

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
