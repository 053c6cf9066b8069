"""Smoke tests for tests/cylc_harness.py against real cylc-flow schedulers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.cylc_harness import (
    TOKEN_VAR,
    WORKFLOWS,
    SMALL,
    CylcHarness,
    HarnessError,
)

pytestmark = pytest.mark.timeout(120)


def test_env_and_global_config(harness: CylcHarness, monkeypatch):
    monkeypatch.setenv('CYLC_WORKFLOW_ID', 'leak/me')
    monkeypatch.setenv('CYLC_SITE_CONF_PATH', '/nonexistent')
    env = harness.env()
    assert env['HOME'] == str(harness.home)
    assert env['PATH'].split(os.pathsep)[0] == str(harness.cylc.parent)
    assert env['CYLC_CONF_PATH'] == str(harness.global_config.parent)
    assert {k for k in env if k.startswith('CYLC_')} == {'CYLC_CONF_PATH'}
    assert env[TOKEN_VAR] == harness.token
    # cylc itself reads the harness global.cylc
    out = harness.run_cylc(
        'config', '-i', '[scheduler][host self-identification]host'
    ).stdout
    assert out.strip() == 'localhost'


def test_example_workflows_validate(harness: CylcHarness):
    for name, text in WORKFLOWS.items():
        harness.write_workflow(name, text)
        harness.validate(name)


def test_play_paused_resume_stop(harness: CylcHarness):
    run_dir = harness.write_workflow('small', SMALL)
    view = harness.play('small', pause=True)

    # contact file
    contact = harness.contact('small')
    assert contact['CYLC_API'] == '5'
    assert contact['CYLC_WORKFLOW_ID'] == 'small'
    assert contact['CYLC_WORKFLOW_HOST'] == 'localhost'
    assert contact['CYLC_WORKFLOW_RUN_DIR_ON_WORKFLOW_HOST'] == str(run_dir)
    assert int(contact['CYLC_WORKFLOW_PUBLISH_PORT']) == view.pub_port
    assert view.pub_port != view.port
    assert view.api == '5'
    assert view.pid == harness.scheduler_pid('small')
    # the scheduler is the process play() started (setpriv execs)
    assert view.pid == harness._owned('small').proc.pid
    assert psutil.pid_exists(view.pid)

    # keys
    service = run_dir / '.service'
    assert (service / 'client.key_secret').is_file()
    assert (service / 'server.key').is_file()

    # both sockets listen on all IPv4 interfaces (cylc binds tcp://*)
    listening = {
        (conn.laddr.ip, conn.laddr.port)
        for conn in psutil.Process(view.pid).net_connections(kind='tcp')
        if conn.status == psutil.CONN_LISTEN
    }
    assert ('0.0.0.0', view.port) in listening
    assert ('0.0.0.0', view.pub_port) in listening

    timings = harness.timings('small')
    assert timings['contact'] <= timings['ready']

    # paused: nothing runs; resumed: the first task starts
    assert harness.task_states('small').get('1/foo') in (None, 'waiting')
    harness.resume('small')
    harness.wait_for_task_state(
        'small', '1/foo', ('running', 'succeeded'), timeout=20
    )

    harness.stop('small', 'now')
    assert not harness.contact_path('small').exists()
    assert not (service / 'server.key').exists()
    assert not psutil.pid_exists(view.pid)
    assert not harness.is_running('small')


def test_kill9_leaves_stale_contact_then_restart(harness: CylcHarness):
    harness.write_workflow('small', SMALL)
    view = harness.play('small', pause=True)
    pid = harness.kill9('small')
    assert pid == view.pid
    assert not psutil.pid_exists(pid)
    # the contact file survives, naming the dead scheduler
    assert harness.contact('small')['CYLC_WORKFLOW_PID'] == str(pid)
    assert not harness.is_running('small')

    # cylc play detects the stale file and restarts the same run
    again = harness.play('small', pause=True)
    assert again.pid != pid
    assert again.uuid == view.uuid
    harness.stop('small')
    assert not harness.contact_path('small').exists()


def test_sigstop_sigcont(harness: CylcHarness):
    harness.write_workflow('small', SMALL)
    view = harness.play('small', pause=True)
    assert harness.sigstop('small') == view.pid
    assert psutil.Process(view.pid).status() == psutil.STATUS_STOPPED
    # a suspended scheduler is silent, its contact file stays
    assert not harness.ping('small', timeout=2)
    assert harness.contact_path('small').exists()
    harness.sigcont('small')
    assert psutil.Process(view.pid).status() != psutil.STATUS_STOPPED
    assert harness.ping('small')
    # a stopped process still gets killed by cleanup
    harness.sigstop('small')


def test_cleanup_kills_owned_and_daemonised(cylc_home):
    harness = CylcHarness(cylc_home)
    try:
        harness.write_workflow('owned', SMALL)
        harness.write_workflow('daemon', SMALL)
        owned = harness.play('owned', pause=True)
        # started the way code under test would: plain (daemonising)
        # `cylc play` with harness.env()
        harness.run_cylc('play', '--pause', '--mode=simulation', 'daemon')
        harness.wait_for(
            lambda: harness.ping('daemon', timeout=5), 30, 'daemon to answer'
        )
        daemon_pid = harness.scheduler_pid('daemon')
    finally:
        killed = harness.cleanup()
    assert {owned.pid, daemon_pid} <= set(killed)
    assert not psutil.pid_exists(owned.pid)
    assert not harness.is_running('daemon')
    # cleanup removes nothing on disk: the contact files are now stale
    assert harness.contact_path('owned').exists()
    assert harness.contact_path('daemon').exists()
    # play refuses nothing and raises a clear error on a broken workflow
    harness.write_workflow('broken', '[scheduling]\n    [[graph]]\n')
    with pytest.raises(HarnessError, match='exited'):
        harness.play('broken')
    harness.cleanup()


def test_install_numbered_runs(harness: CylcHarness):
    source = harness.write_source('demo', SMALL)
    assert harness.install(source, 'demo') == 'demo/run1'  # skips w/o rsync
    assert harness.install(source, 'demo') == 'demo/run2'
    assert harness.resolve_id('demo') == 'demo/run2'
    view = harness.play('demo', pause=True)
    assert view.workflow_id == 'demo/run2'
    assert harness.contact('demo/run2')['CYLC_WORKFLOW_ID'] == 'demo/run2'
    harness.stop('demo')


CHILD = '''
import os, sys
from pathlib import Path
from tests.cylc_harness import CylcHarness, SMALL
h = CylcHarness(Path(sys.argv[1]))
h.write_workflow('orphan', SMALL)
print(h.play('orphan', pause=True).pid, flush=True)
os.kill(os.getpid(), 9)
'''


def test_owned_scheduler_dies_with_test_process(tmp_path, harness):
    """Even if nothing runs cleanup(), owned schedulers do not survive."""
    if not shutil.which('setpriv'):
        pytest.skip('setpriv (util-linux) not installed')
    home = tmp_path / 'child-home'
    home.mkdir()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    proc = subprocess.run(
        [sys.executable, '-c', CHILD, str(home)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == -9, proc.stderr
    pid = int(proc.stdout.split()[0])

    def dead():
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    harness.wait_for(dead, 10, f'orphaned scheduler {pid} to die')
