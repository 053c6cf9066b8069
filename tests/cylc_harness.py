"""Start and drive REAL cylc-flow schedulers for integration tests.

Everything here talks to cylc-flow only through its command line (``cylc``)
and its files on disk, so the UI server code under test never shares a
process, a global config cache or an event loop with a scheduler.

Isolation
---------
* Each harness has its own HOME directory: workflows live in
  ``<home>/cylc-run`` and the global config in
  ``<home>/.cylc/flow/global.cylc`` (see :func:`write_global_config`).
* ``CYLC_CONF_PATH`` points at that directory, which makes cylc-flow skip the
  site config (``/etc/cylc``) and the real user's ``~/.cylc`` entirely.
* Every other ``CYLC_*`` variable of the calling environment is dropped.
* The scheduler identifies itself as ``localhost`` (hardwired), so no DNS /
  ``getfqdn`` lookup is made and the contact file always says
  ``CYLC_WORKFLOW_HOST=localhost``. Schedulers bind ``tcp://*`` (hard-coded in
  cylc-flow): IPv4 ``0.0.0.0:<port>``, two ports from 43001-43100.

Process ownership
-----------------
Schedulers are started with ``cylc play --no-detach`` as child processes of
the test process, each in its own session / process group. ``cleanup()``
SIGKILLs those process groups, reaps them, and then also SIGKILLs any other
process that carries this harness's private token in its environment (for
example a scheduler that the UI server under test started with
``harness.env()`` and that daemonised itself, or a live-mode job). An
``atexit`` hook runs ``cleanup()`` for every harness still alive, and owned
schedulers are started under ``setpriv --pdeathsig KILL`` so that they die
with the test process even if it is SIGKILLed (see ``die_with_parent``).

Every wait is bounded; a timeout raises :class:`HarnessTimeout` whose message
includes the tail of the scheduler log (``<run>/log/scheduler/log``) and of
the ``cylc play`` console output.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence, TypeVar

import psutil

__all__ = [
    'BUSY',
    'RETRY',
    'SMALL',
    'WORKFLOWS',
    'ContactView',
    'CylcHarness',
    'HarnessError',
    'HarnessTimeout',
    'cylc_executable',
    'global_config_text',
    'read_contact_file',
    'write_global_config',
]

T = TypeVar('T')

#: Env var carrying a per-harness random token; used to find (and kill)
#: every process started on behalf of a harness, even daemonised ones.
TOKEN_VAR = 'UIS_CYLC_HARNESS_TOKEN'

DEFAULT_PLAY_TIMEOUT = 60.0
DEFAULT_COMMAND_TIMEOUT = 30.0
DEFAULT_STOP_TIMEOUT = 30.0

# ---------------------------------------------------------------------------
# Example workflows (simulation-mode friendly; no real jobs are run).
# ---------------------------------------------------------------------------

#: Two integer cycles: foo => FAM (fam_a, fam_b) => bar, each task "runs"
#: for ~2 s in simulation mode. Finishes (and the scheduler shuts down by
#: itself) after roughly 15 s unless paused.
SMALL = '''\
[meta]
    title = small
    description = a few tasks, a family, two integer cycles
[scheduler]
    allow implicit tasks = False
[scheduling]
    cycling mode = integer
    initial cycle point = 1
    final cycle point = 2
    [[graph]]
        P1 = """
            foo => FAM:succeed-all => bar
            bar[-P1] => foo
        """
[runtime]
    [[root]]
        [[[simulation]]]
            default run length = PT2S
    [[foo]]
        [[[meta]]]
            title = the first task
    [[FAM]]
        [[[meta]]]
            title = a family
    [[fam_a, fam_b]]
        inherit = FAM
    [[bar]]
'''

#: A busy workflow: 1000 integer cycles, a fan of 6 parallel tasks per cycle
#: with run lengths of 1-3 s, and 3 cycles active at once (runahead P2). It
#: keeps producing deltas for far longer than any test runs.
BUSY = '''\
[meta]
    title = busy
[scheduler]
    allow implicit tasks = False
[scheduling]
    cycling mode = integer
    initial cycle point = 1
    final cycle point = 1000
    runahead limit = P2
    [[graph]]
        P1 = """
            start => PAR
            PAR:succeed-all => end
            end[-P1] => start
        """
[runtime]
    [[root]]
        [[[simulation]]]
            default run length = PT1S
    [[start, end]]
    [[PAR]]
    [[p1, p2, p3]]
        inherit = PAR
    [[p4, p5]]
        inherit = PAR
        [[[simulation]]]
            default run length = PT2S
    [[p6]]
        inherit = PAR
        [[[simulation]]]
            default run length = PT3S
'''

#: One cycle with a family, a task that fails its first try and then
#: succeeds through ``execution retry delays``, and a custom output
#: (``producer:custom`` -> message "the custom message") triggering a task.
#: Task outcomes: prep, m1, m2 (FAM), flaky (failed -> retrying -> succeeded),
#: after_flaky, producer, consumer, done.
RETRY = '''\
[meta]
    title = retry
[scheduler]
    allow implicit tasks = False
[scheduling]
    cycling mode = integer
    initial cycle point = 1
    final cycle point = 1
    [[graph]]
        R1 = """
            prep => FAM
            prep => flaky => after_flaky
            prep => producer
            producer:custom => consumer
            FAM:succeed-all & after_flaky & consumer => done
        """
[runtime]
    [[root]]
        [[[simulation]]]
            default run length = PT1S
    [[prep, after_flaky, consumer, done]]
    [[FAM]]
    [[m1, m2]]
        inherit = FAM
    [[flaky]]
        execution retry delays = PT1S
        [[[simulation]]]
            fail cycle points = all
            fail try 1 only = True
    [[producer]]
        [[[outputs]]]
            custom = the custom message
'''

WORKFLOWS: dict[str, str] = {'small': SMALL, 'busy': BUSY, 'retry': RETRY}


# ---------------------------------------------------------------------------
# Errors / data
# ---------------------------------------------------------------------------


class HarnessError(RuntimeError):
    """A cylc command or a scheduler did not do what the harness expected."""


class HarnessTimeout(HarnessError):
    """A bounded wait expired."""


@dataclass(frozen=True)
class ContactView:
    """The interesting values of a scheduler's ``.service/contact`` file."""

    workflow_id: str
    pid: int
    host: str
    port: int
    pub_port: int
    uuid: str
    api: str
    version: str
    raw: Mapping[str, str] = field(repr=False)


@dataclass
class _Started:
    """A ``cylc play --no-detach`` process owned by the harness."""

    workflow_id: str
    proc: subprocess.Popen
    out_path: Path
    t_start: float
    t_contact: float | None = None
    t_ready: float | None = None


def cylc_executable() -> Path:
    """The ``cylc`` next to the running interpreter (the project's venv)."""
    return Path(sys.executable).parent / 'cylc'


def read_contact_file(path: Path) -> dict[str, str]:
    """Parse a contact file the way cylc-flow does.

    Split on the first ``=``, strip both sides, rename SUITE -> WORKFLOW.
    """
    data: dict[str, str] = {}
    for line in path.read_text(encoding='utf-8').splitlines():
        if '=' not in line:
            continue
        key, value = line.split('=', 1)
        data[key.strip().replace('SUITE', 'WORKFLOW')] = value.strip()
    return data


_CONTACT_REQUIRED = (
    'CYLC_API',
    'CYLC_WORKFLOW_HOST',
    'CYLC_WORKFLOW_PID',
    'CYLC_WORKFLOW_PORT',
    'CYLC_WORKFLOW_PUBLISH_PORT',
    'CYLC_WORKFLOW_UUID',
)


def _contact_view(workflow_id: str, data: Mapping[str, str]) -> ContactView:
    return ContactView(
        workflow_id=workflow_id,
        pid=int(data['CYLC_WORKFLOW_PID']),
        host=data['CYLC_WORKFLOW_HOST'],
        port=int(data['CYLC_WORKFLOW_PORT']),
        pub_port=int(data['CYLC_WORKFLOW_PUBLISH_PORT']),
        uuid=data['CYLC_WORKFLOW_UUID'],
        api=data['CYLC_API'],
        version=data.get('CYLC_VERSION', ''),
        raw=dict(data),
    )


def global_config_text(
    home: Path,
    *,
    cylc_bin: Path | None = None,
    ports: tuple[int, int] | None = None,
    health_check_interval: str = 'PT10S',
    extra: str = '',
) -> str:
    """The ``global.cylc`` used by the harness (see the module docstring).

    Args:
        home: the isolated HOME (used for ``[install]source dirs``).
        cylc_bin: directory holding ``cylc``, written as the localhost
            platform's ``cylc path`` so that live-mode jobs find it.
        ports: optional ``(min, max)`` for ``[scheduler][run hosts]ports``;
            the default range 43001..43100 is kept otherwise.
        health_check_interval: how often the scheduler checks that its run
            directory and contact file are intact (it shuts down when its
            contact file is removed or altered).
        extra: appended verbatim (e.g. more ``[platforms]``).
    """
    ports_line = (
        f'        ports = {ports[0]} .. {ports[1]}\n' if ports else ''
    )
    cylc_path_line = (
        f'        cylc path = {cylc_bin}\n' if cylc_bin else ''
    )
    text = (
        '# Written by tests/cylc_harness.py: fast, isolated, localhost-only.\n'
        '[scheduler]\n'
        '    UTC mode = True\n'
        # Kill hung event handlers / xtriggers / job commands quickly.
        '    process pool timeout = PT30S\n'
        '    [[host self-identification]]\n'
        # No getfqdn()/DNS; contact file says CYLC_WORKFLOW_HOST=localhost.
        '        method = hardwired\n'
        '        host = localhost\n'
        '    [[run hosts]]\n'
        # No "available" hosts: always start on this host, no ranking.
        f'{ports_line}'
        '        process check timeout = PT10S\n'
        '    [[main loop]]\n'
        # Drop "reset bad hosts" (irrelevant); keep the health check.
        '        plugins = health check\n'
        '        [[[health check]]]\n'
        f'            interval = {health_check_interval}\n'
        '    [[events]]\n'
        # A stalled test workflow should stay up, not abort after 1 h.
        '        abort on stall timeout = False\n'
        '        stall timeout = PT1H\n'
        '[install]\n'
        f'    source dirs = {home / "cylc-src"}\n'
        '[platforms]\n'
        '    [[localhost]]\n'
        '        hosts = localhost\n'
        # bash -l would source /etc/profile, which resets PATH.
        '        use login shell = False\n'
        f'{cylc_path_line}'
    )
    if extra:
        text += textwrap.dedent(extra).rstrip('\n') + '\n'
    return text


def write_global_config(home: Path, **kwargs) -> Path:
    """Write ``<home>/.cylc/flow/global.cylc`` and create ``<home>/cylc-run``.

    Keyword arguments go to :func:`global_config_text`.
    """
    home = Path(home)
    conf_dir = home / '.cylc' / 'flow'
    conf_dir.mkdir(parents=True, exist_ok=True)
    (home / 'cylc-run').mkdir(exist_ok=True)
    (home / 'cylc-src').mkdir(exist_ok=True)
    path = conf_dir / 'global.cylc'
    path.write_text(global_config_text(home, **kwargs), encoding='utf-8')
    return path


def _tail(path: Path, lines: int) -> str:
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode('utf-8', 'replace')
    except OSError as exc:
        return f'<{path}: {exc.strerror}>'
    return '\n'.join(data.splitlines()[-lines:])


# ---------------------------------------------------------------------------
# atexit fallback
# ---------------------------------------------------------------------------

_LIVE_HARNESSES: 'weakref.WeakSet[CylcHarness]' = weakref.WeakSet()


@atexit.register
def _cleanup_all_harnesses() -> None:  # pragma: no cover - exit path
    for harness in list(_LIVE_HARNESSES):
        with contextlib.suppress(Exception):
            harness.cleanup()


# ---------------------------------------------------------------------------
# The harness
# ---------------------------------------------------------------------------


class CylcHarness:
    """Start, drive and kill real schedulers under an isolated HOME.

    Args:
        home: the HOME directory to use; ``write_global_config(home)`` is
            called unless ``<home>/.cylc/flow/global.cylc`` already exists.
        cylc: path of the ``cylc`` executable (default: next to
            ``sys.executable``).
        play_timeout / command_timeout / stop_timeout: default bounds (s).
        die_with_parent: start owned schedulers under
            ``setpriv --pdeathsig KILL`` (when play() is called from the main
            thread) so they die with the test process whatever happens.
    """

    def __init__(
        self,
        home: Path,
        cylc: Path | str | None = None,
        *,
        play_timeout: float = DEFAULT_PLAY_TIMEOUT,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
        die_with_parent: bool = True,
    ) -> None:
        self.home = Path(home).resolve()
        self.cylc = Path(cylc) if cylc else cylc_executable()
        if not self.cylc.exists():
            raise HarnessError(f'cylc executable not found: {self.cylc}')
        self.play_timeout = play_timeout
        self.command_timeout = command_timeout
        self.stop_timeout = stop_timeout
        self.die_with_parent = die_with_parent
        self.token = uuid.uuid4().hex
        self._started: list[_Started] = []
        self._out_dir = self.home / '.cylc-harness'
        self._out_dir.mkdir(parents=True, exist_ok=True)
        if not (self.home / '.cylc' / 'flow' / 'global.cylc').exists():
            write_global_config(self.home, cylc_bin=self.cylc.parent)
        self.cylc_run.mkdir(exist_ok=True)
        _LIVE_HARNESSES.add(self)

    # -- paths --------------------------------------------------------------

    @property
    def cylc_run(self) -> Path:
        return self.home / 'cylc-run'

    @property
    def global_config(self) -> Path:
        return self.home / '.cylc' / 'flow' / 'global.cylc'

    def run_dir(self, workflow_id: str) -> Path:
        return self.cylc_run / workflow_id

    def contact_path(self, workflow_id: str) -> Path:
        return self.run_dir(workflow_id) / '.service' / 'contact'

    def service_dir(self, workflow_id: str) -> Path:
        return self.run_dir(workflow_id) / '.service'

    def scheduler_log_path(self, workflow_id: str) -> Path:
        return self.run_dir(workflow_id) / 'log' / 'scheduler' / 'log'

    def resolve_id(self, workflow_id: str) -> str:
        """``name`` / ``name/runN`` -> ``name/runX`` for numbered installs."""
        parts = workflow_id.strip('/').split('/')
        if parts[-1] == 'runN':
            parts = parts[:-1]
        base = '/'.join(parts)
        run_n = self.cylc_run / base / 'runN'
        if run_n.is_symlink():
            target = os.readlink(run_n)
            if re.fullmatch(r'run\d+', target):
                return f'{base}/{target}'
        return base

    # -- environment / commands --------------------------------------------

    def env(self) -> dict[str, str]:
        """Environment for cylc commands (and for processes under test).

        HOME is the harness home, PATH starts with the directory of
        ``cylc``, all inherited ``CYLC_*`` variables are removed and
        ``CYLC_CONF_PATH`` points at the harness global config directory.
        It also carries this harness's token so that ``cleanup()`` can find
        anything started with it.
        """
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith('CYLC_') and key != TOKEN_VAR
        }
        bin_dir = str(self.cylc.parent)
        path = [bin_dir] + [
            item
            for item in env.get('PATH', '/usr/bin:/bin').split(os.pathsep)
            if item and item != bin_dir
        ]
        env.update(
            HOME=str(self.home),
            PATH=os.pathsep.join(path),
            CYLC_CONF_PATH=str(self.global_config.parent),
            # No ANSI colour codes in captured output.
            NO_COLOR='1',
        )
        env[TOKEN_VAR] = self.token
        # Never let a coverage/pytest-specific cwd or Python path leak into
        # the scheduler's idea of "home".
        env.pop('PWD', None)
        env.pop('OLDPWD', None)
        # pytest-jupyter exports the test process's sys.path as PYTHONPATH,
        # which breaks cylc's own imports (importlib_metadata goes missing).
        env.pop('PYTHONPATH', None)
        return env

    def run_cylc(
        self,
        *args: str,
        timeout: float | None = None,
        check: bool = True,
        workflow_id: str | None = None,
    ) -> subprocess.CompletedProcess:
        """Run ``cylc <args>`` with :meth:`env`, bounded by ``timeout``.

        Raises HarnessTimeout / HarnessError (with the scheduler log tail of
        ``workflow_id`` if given) on timeout / non-zero exit (if ``check``).
        """
        timeout = self.command_timeout if timeout is None else timeout
        cmd = [str(self.cylc), *args]
        proc = subprocess.Popen(
            cmd,
            env=self.env(),
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._killpg(proc.pid)
            out, err = proc.communicate()
            raise HarnessTimeout(
                f'{" ".join(args)!r} did not finish within {timeout} s\n'
                f'stdout: {out}\nstderr: {err}'
                + self._diagnostics(workflow_id)
            ) from None
        result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise HarnessError(
                f'{" ".join(args)!r} exited {proc.returncode}\n'
                f'stdout: {out}\nstderr: {err}'
                + self._diagnostics(workflow_id)
            )
        return result

    # -- workflows on disk --------------------------------------------------

    def write_workflow(self, name: str, flow_cylc: str) -> Path:
        """Create ``<cylc-run>/<name>/flow.cylc`` (no ``cylc install``)."""
        run_dir = self.run_dir(name)
        if (run_dir / '.service' / 'contact').exists():
            raise HarnessError(f'{name} is running; refusing to overwrite')
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / 'flow.cylc').write_text(
            textwrap.dedent(flow_cylc), encoding='utf-8'
        )
        return run_dir

    def write_source(self, name: str, flow_cylc: str) -> Path:
        """Create ``<home>/cylc-src/<name>/flow.cylc`` (for :meth:`install`)."""
        src = self.home / 'cylc-src' / name
        src.mkdir(parents=True, exist_ok=True)
        (src / 'flow.cylc').write_text(
            textwrap.dedent(flow_cylc), encoding='utf-8'
        )
        return src

    def install(self, source: Path, name: str) -> str:
        """``cylc install`` (numbered runs); return the ID, e.g. ``x/run1``.

        Skips the calling test if ``rsync`` (needed by cylc install) is
        missing.
        """
        if shutil.which('rsync', path=self.env()['PATH']) is None:
            import pytest

            pytest.skip('rsync is not installed (needed by cylc install)')
        result = self.run_cylc(
            'install', str(source), f'--workflow-name={name}'
        )
        match = re.search(r'INSTALLED (\S+) from', result.stdout)
        if not match:
            raise HarnessError(f'cannot parse cylc install output:\n{result}')
        return match.group(1)

    def validate(self, workflow: str | Path) -> None:
        """``cylc validate`` a workflow ID or source directory."""
        self.run_cylc('validate', str(workflow))

    # -- contact file -------------------------------------------------------

    def contact(self, workflow_id: str) -> dict[str, str]:
        """The KEY=VALUE pairs of ``.service/contact`` (FileNotFoundError)."""
        return read_contact_file(self.contact_path(self.resolve_id(workflow_id)))

    def contact_view(self, workflow_id: str) -> ContactView:
        workflow_id = self.resolve_id(workflow_id)
        return _contact_view(workflow_id, self.contact(workflow_id))

    def scheduler_pid(self, workflow_id: str) -> int:
        """PID of the running scheduler (contact file, else owned process)."""
        workflow_id = self.resolve_id(workflow_id)
        with contextlib.suppress(FileNotFoundError, KeyError, ValueError):
            return int(self.contact(workflow_id)['CYLC_WORKFLOW_PID'])
        started = self._owned(workflow_id)
        if started is not None and started.proc.poll() is None:
            return started.proc.pid
        raise HarnessError(f'{workflow_id}: no running scheduler')

    def timings(self, workflow_id: str) -> dict[str, float]:
        """Seconds from Popen to contact file / to a successful ping."""
        started = self._owned(self.resolve_id(workflow_id))
        if started is None or started.t_ready is None:
            raise HarnessError(f'{workflow_id} was not started by play()')
        return {
            'contact': started.t_contact - started.t_start,
            'ready': started.t_ready - started.t_start,
        }

    # -- scheduler lifecycle ------------------------------------------------

    def play(
        self,
        workflow_id: str,
        *,
        pause: bool = False,
        mode: str | None = 'simulation',
        extra: Sequence[str] = (),
        timeout: float | None = None,
    ) -> ContactView:
        """Start (or restart) a scheduler; return once it answers ``ping``.

        Runs ``cylc play --no-detach [--pause] [--mode=MODE] ID`` as a child
        process in a new session. Ready means: the contact file exists and
        ``cylc ping`` returns this workflow with the contact file's port,
        i.e. the scheduler's data store is populated.

        ``mode=None`` omits ``--mode`` (i.e. live mode). A restart must use
        the run mode of the original start, or the scheduler refuses to
        start. A restart also restores the paused state recorded at shutdown.
        If a stale contact file is present, cylc play removes it first (its
        stale check), which the harness bounds with ``--comms-timeout=2``.
        """
        workflow_id = self.resolve_id(workflow_id)
        timeout = self.play_timeout if timeout is None else timeout
        owned = self._owned(workflow_id)
        if owned is not None and owned.proc.poll() is None:
            raise HarnessError(f'{workflow_id} is already running')
        contact_path = self.contact_path(workflow_id)
        old_contact: dict[str, str] | None = None
        with contextlib.suppress(OSError):
            old_contact = read_contact_file(contact_path)
        args = [str(self.cylc), 'play', '--no-detach']
        if old_contact is not None:
            # A (probably stale) contact file: cylc play first tries to talk
            # to that scheduler and only then runs its stale check; don't
            # let that take the default 5 s.
            args.append('--comms-timeout=2')
        if pause:
            args.append('--pause')
        if mode:
            args.append(f'--mode={mode}')
        args.extend(extra)
        args.append(workflow_id)
        args = self._die_with_parent_prefix() + args
        n_runs = sum(1 for s in self._started if s.workflow_id == workflow_id)
        out_path = self._out_dir / (
            workflow_id.replace('/', '__') + f'.play{n_runs + 1:02d}.out'
        )
        with open(out_path, 'wb') as out:
            t_start = time.monotonic()
            proc = subprocess.Popen(
                args,
                env=self.env(),
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = _Started(workflow_id, proc, out_path, t_start)
        self._started.append(started)

        deadline = t_start + timeout
        view: ContactView | None = None
        while True:
            if proc.poll() is not None:
                raise HarnessError(
                    f'cylc play {workflow_id} exited {proc.returncode} '
                    'before the scheduler was ready'
                    + self._diagnostics(workflow_id)
                )
            if view is None:
                view = self._read_new_contact(workflow_id, old_contact)
                if view is not None:
                    started.t_contact = time.monotonic()
            if view is not None:
                remaining = deadline - time.monotonic()
                if self._ping(workflow_id, view, min(10.0, max(remaining, 1))):
                    started.t_ready = time.monotonic()
                    return view
            if time.monotonic() > deadline:
                self._killpg(proc.pid)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)
                raise HarnessTimeout(
                    f'scheduler {workflow_id} not ready within {timeout} s '
                    f'(contact file {"seen" if view else "never written"})'
                    + self._diagnostics(workflow_id)
                )
            time.sleep(0.05 if view is None else 0.2)

    def _read_new_contact(
        self, workflow_id: str, old: dict[str, str] | None
    ) -> ContactView | None:
        try:
            data = read_contact_file(self.contact_path(workflow_id))
        except OSError:
            return None
        if any(key not in data for key in _CONTACT_REQUIRED):
            return None  # partially written
        if old is not None and data == old:
            return None  # the stale file the new scheduler will replace
        try:
            return _contact_view(workflow_id, data)
        except ValueError:
            return None

    def _ping(self, workflow_id: str, view: ContactView, timeout: float) -> bool:
        try:
            result = self.run_cylc(
                'ping',
                '--comms-timeout=5',
                workflow_id,
                timeout=timeout,
                check=False,
            )
        except HarnessTimeout:
            return False
        return result.returncode == 0 and f':{view.port}' in result.stdout

    def ping(self, workflow_id: str, timeout: float | None = None) -> bool:
        """True if ``cylc ping`` gets an answer that lists the workflow."""
        workflow_id = self.resolve_id(workflow_id)
        try:
            view = self.contact_view(workflow_id)
        except (OSError, KeyError, ValueError):
            return False
        return self._ping(
            workflow_id, view, self.command_timeout if timeout is None else timeout
        )

    def stop(
        self,
        workflow_id: str,
        mode: str = 'now',
        *,
        timeout: float | None = None,
    ) -> None:
        """``cylc stop``; wait for the process to exit and contact to go.

        mode: ``'clean'`` (wait for active tasks: no flag), ``'now'``
        (``--now``), ``'now-now'`` (``--now --now``), ``'kill'``
        (``--kill``).
        """
        flags = {
            'clean': [],
            'now': ['--now'],
            'now-now': ['--now', '--now'],
            'kill': ['--kill'],
        }
        if mode not in flags:
            raise ValueError(f'unknown stop mode {mode!r}')
        workflow_id = self.resolve_id(workflow_id)
        timeout = self.stop_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        pid = self.scheduler_pid(workflow_id)
        try:
            self.run_cylc(
                'stop', *flags[mode], workflow_id,
                timeout=timeout, workflow_id=workflow_id,
            )
        except HarnessError:
            # It may have shut down by itself meanwhile (workflow complete).
            if self._alive(pid):
                raise
        self.wait_stopped(
            workflow_id, timeout=max(deadline - time.monotonic(), 1), pid=pid
        )

    def wait_stopped(
        self,
        workflow_id: str,
        timeout: float | None = None,
        *,
        pid: int | None = None,
    ) -> None:
        """Wait for the scheduler process to exit and its contact file to go.

        Works for owned and foreign (e.g. daemonised) schedulers.
        """
        workflow_id = self.resolve_id(workflow_id)
        timeout = self.stop_timeout if timeout is None else timeout
        if pid is None:
            with contextlib.suppress(HarnessError):
                pid = self.scheduler_pid(workflow_id)
        contact = self.contact_path(workflow_id)

        def gone() -> bool:
            return (pid is None or not self._alive(pid)) and not contact.exists()

        self.wait_for(
            gone,
            timeout,
            f'scheduler {workflow_id} (pid {pid}) to exit and remove its '
            'contact file',
            workflow_id=workflow_id,
        )

    def kill9(self, workflow_id: str, *, timeout: float = 10.0) -> int:
        """SIGKILL the scheduler (its whole process group if owned).

        The contact file is left behind, pointing at a dead PID. Returns that
        PID.
        """
        workflow_id = self.resolve_id(workflow_id)
        pid = self.scheduler_pid(workflow_id)
        owned = self._owned_by_pid(pid)
        if owned is not None:
            self._killpg(pid)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.wait_for(
            lambda: not self._alive(pid),
            timeout,
            f'pid {pid} to die after SIGKILL',
            workflow_id=workflow_id,
        )
        return pid

    def sigstop(self, workflow_id: str, *, timeout: float = 10.0) -> int:
        """Suspend the scheduler process (SIGSTOP); return its PID."""
        pid = self.scheduler_pid(workflow_id)
        os.kill(pid, signal.SIGSTOP)
        self.wait_for(
            lambda: self._status(pid) == psutil.STATUS_STOPPED,
            timeout,
            f'pid {pid} to be stopped',
        )
        return pid

    def sigcont(self, workflow_id: str, *, timeout: float = 10.0) -> int:
        """Resume a SIGSTOPped scheduler process (SIGCONT); return its PID."""
        pid = self.scheduler_pid(workflow_id)
        os.kill(pid, signal.SIGCONT)
        self.wait_for(
            lambda: self._status(pid) != psutil.STATUS_STOPPED,
            timeout,
            f'pid {pid} to continue',
        )
        return pid

    # -- commands through the CLI --------------------------------------------

    # These return the CompletedProcess as soon as the scheduler has queued
    # the command; wait for its effect with wait_for_task_state/wait_for_log.

    def _command(self, *args: str, workflow_id: str, timeout: float | None):
        return self.run_cylc(*args, timeout=timeout, workflow_id=workflow_id)

    def reload(self, workflow_id: str, *, timeout: float | None = None):
        """``cylc reload`` (returns when the command has been queued)."""
        workflow_id = self.resolve_id(workflow_id)
        return self._command(
            'reload', workflow_id, workflow_id=workflow_id, timeout=timeout
        )

    def pause(self, workflow_id: str, *, timeout: float | None = None):
        workflow_id = self.resolve_id(workflow_id)
        return self._command(
            'pause', workflow_id, workflow_id=workflow_id, timeout=timeout
        )

    def resume(self, workflow_id: str, *, timeout: float | None = None):
        """Resume a paused workflow (``cylc play`` on a running workflow)."""
        workflow_id = self.resolve_id(workflow_id)
        self.scheduler_pid(workflow_id)  # never start a new scheduler here
        return self._command(
            'play', workflow_id, workflow_id=workflow_id, timeout=timeout
        )

    def hold(
        self, workflow_id: str, task_glob: str, *, timeout: float | None = None
    ):
        """``cylc hold ID//<task_glob>``, e.g. ``task_glob='1/foo'``."""
        workflow_id = self.resolve_id(workflow_id)
        return self._command(
            'hold', f'{workflow_id}//{task_glob}',
            workflow_id=workflow_id, timeout=timeout,
        )

    def release(
        self,
        workflow_id: str,
        task_glob: str | None = None,
        *,
        timeout: float | None = None,
    ):
        """``cylc release ID//<task_glob>`` (``--all`` if no glob)."""
        workflow_id = self.resolve_id(workflow_id)
        args = (
            ['release', '--all', workflow_id]
            if task_glob is None
            else ['release', f'{workflow_id}//{task_glob}']
        )
        return self._command(*args, workflow_id=workflow_id, timeout=timeout)

    # -- observation helpers --------------------------------------------------

    def is_running(self, workflow_id: str) -> bool:
        """Contact file present and its PID alive."""
        try:
            pid = int(self.contact(workflow_id)['CYLC_WORKFLOW_PID'])
        except (OSError, KeyError, ValueError):
            return False
        return self._alive(pid)

    def scheduler_log(self, workflow_id: str, lines: int = 40) -> str:
        return _tail(self.scheduler_log_path(self.resolve_id(workflow_id)), lines)

    def task_states(self, workflow_id: str) -> dict[str, str]:
        """``{'<cycle>/<name>': status}`` from the public DB ``log/db``.

        The public DB lags the scheduler by up to one main-loop iteration.
        """
        db = self.run_dir(self.resolve_id(workflow_id)) / 'log' / 'db'
        if not db.exists():
            return {}
        try:
            conn = sqlite3.connect(f'file:{db}?mode=ro', uri=True, timeout=5)
        except sqlite3.Error:
            return {}
        try:
            rows = conn.execute(
                'SELECT cycle, name, status FROM task_states '
                'ORDER BY time_updated, submit_num'
            ).fetchall()
        except sqlite3.Error:
            return {}
        finally:
            conn.close()
        return {f'{cycle}/{name}': status for cycle, name, status in rows}

    def wait_for_task_state(
        self,
        workflow_id: str,
        task: str,
        status: str | Iterable[str],
        timeout: float = 30.0,
    ) -> str:
        """Wait until ``task`` ('1/foo') has one of ``status`` in the DB."""
        wanted = {status} if isinstance(status, str) else set(status)
        found: list[str] = []

        def check() -> bool:
            state = self.task_states(workflow_id).get(task)
            found[:] = [state] if state else []
            return state in wanted

        self.wait_for(
            check, timeout, f'{task} to be {sorted(wanted)} (now {found})',
            workflow_id=workflow_id,
        )
        return found[0]

    def wait_for_log(
        self, workflow_id: str, pattern: str, timeout: float = 30.0
    ) -> re.Match:
        """Wait for a regex to match the scheduler log; return the match."""
        regex = re.compile(pattern, re.MULTILINE)
        path = self.scheduler_log_path(self.resolve_id(workflow_id))
        result: list[re.Match] = []

        def check() -> bool:
            try:
                text = path.read_text(encoding='utf-8', errors='replace')
            except OSError:
                return False
            match = regex.search(text)
            if match:
                result.append(match)
            return bool(match)

        self.wait_for(
            check, timeout, f'{pattern!r} in the scheduler log',
            workflow_id=workflow_id,
        )
        return result[0]

    def wait_for(
        self,
        predicate: Callable[[], T],
        timeout: float,
        what: str,
        *,
        interval: float = 0.1,
        workflow_id: str | None = None,
    ) -> T:
        """Poll ``predicate`` until truthy; HarnessTimeout after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise HarnessTimeout(
                    f'timed out after {timeout} s waiting for {what}'
                    + self._diagnostics(workflow_id)
                )
            time.sleep(interval)

    # -- cleanup -----------------------------------------------------------------

    def cleanup(self, timeout: float = 10.0) -> list[int]:
        """SIGKILL everything this harness started; return the PIDs killed.

        1. the process group of every ``cylc play`` it started (reaped);
        2. any other process whose environment carries this harness's token
           (daemonised schedulers started by code under test with
           :meth:`env`, live-mode jobs, stray CLI commands).

        Nothing on disk is removed.
        """
        killed: list[int] = []
        for started in self._started:
            if started.proc.poll() is None:
                killed.append(started.proc.pid)
            # Kill the group even if the leader is gone: children may remain.
            self._killpg(started.proc.pid)
        for started in self._started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                started.proc.wait(timeout)
        killed.extend(self._sweep(timeout))
        return killed

    def _sweep(self, timeout: float) -> list[int]:
        me = os.getpid()
        protected = {me} | {p.pid for p in psutil.Process(me).parents()}
        victims = []
        for proc in psutil.process_iter():
            if proc.pid in protected:
                continue
            try:
                if proc.environ().get(TOKEN_VAR) != self.token:
                    continue
                proc.kill()
                victims.append(proc)
            except (psutil.Error, OSError):
                continue
        if victims:
            psutil.wait_procs(victims, timeout=timeout)
        return [proc.pid for proc in victims]

    # -- internals ------------------------------------------------------------

    def _die_with_parent_prefix(self) -> list[str]:
        """``setpriv --pdeathsig KILL`` if possible, else nothing.

        Makes an owned scheduler die with the test process even when nothing
        gets to run cleanup() (SIGKILL, ``os._exit`` from pytest-timeout's
        thread method). setpriv execs, so the PID is the scheduler's. The
        parent-death signal fires when the *thread* that forked exits, so it
        is only used when play() runs in the main thread.
        """
        if not self.die_with_parent:
            return []
        if threading.current_thread() is not threading.main_thread():
            return []
        setpriv = shutil.which('setpriv')
        return [setpriv, '--pdeathsig', 'KILL'] if setpriv else []

    def _owned(self, workflow_id: str) -> _Started | None:
        for started in reversed(self._started):
            if started.workflow_id == workflow_id:
                return started
        return None

    def _owned_by_pid(self, pid: int) -> _Started | None:
        for started in self._started:
            if started.proc.pid == pid:
                return started
        return None

    def _alive(self, pid: int) -> bool:
        owned = self._owned_by_pid(pid)
        if owned is not None:
            # Reap our own child so it does not linger as a zombie.
            return owned.proc.poll() is None
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    @staticmethod
    def _status(pid: int) -> str | None:
        try:
            return psutil.Process(pid).status()
        except psutil.NoSuchProcess:
            return None

    @staticmethod
    def _killpg(pgid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

    def _diagnostics(self, workflow_id: str | None, lines: int = 30) -> str:
        if not workflow_id:
            return ''
        workflow_id = self.resolve_id(workflow_id)
        text = (
            f'\n--- tail of {self.scheduler_log_path(workflow_id)} ---\n'
            + _tail(self.scheduler_log_path(workflow_id), lines)
        )
        owned = self._owned(workflow_id)
        if owned is not None:
            text += (
                f'\n--- tail of {owned.out_path} (cylc play output) ---\n'
                + _tail(owned.out_path, lines)
            )
        return text

    def __enter__(self) -> 'CylcHarness':
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()
