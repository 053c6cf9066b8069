"""GraphQL arguments of play/clean as cylc command lines and environments."""

from __future__ import annotations

import pytest

from uiserver.commands import CommandLineError, clean_argv, kebab_case, play_argv, play_env

#: The play arguments with the schema defaults applied, as the resolver passes them.
PLAY_DEFAULTS = {
    "workflows": ["~me/a"], "cylcVersion": None, "initialCyclePoint": None,
    "startCyclePoint": None, "finalCyclePoint": None, "stopCyclePoint": None, "pause": None,
    "holdCyclePoint": None, "mode": "Live", "host": None, "mainLoop": None, "upgrade": False,
    "abortIfAnyTaskFails": False, "debug": False, "noTimestamp": False, "set": None,
    "setFile": None,
}


@pytest.mark.parametrize(
    ("name", "kebab"),
    [("holdCyclePoint", "hold-cycle-point"), ("abortIfAnyTaskFails", "abort-if-any-task-fails"),
     ("set", "set"), ("noTimestamp", "no-timestamp"), ("localOnly", "local-only")],
)
def test_kebab_case(name, kebab):
    assert kebab_case(name) == kebab


def test_defaults_give_a_bare_play():
    assert play_argv("cylc", PLAY_DEFAULTS, "a") == ["cylc", "play", "--color=never", "a"]


def test_every_option():
    args = dict(
        PLAY_DEFAULTS,
        cylcVersion="8.5.4", initialCyclePoint="2020", startCyclePoint="2021",
        finalCyclePoint="2030", stopCyclePoint="2025", pause=True, holdCyclePoint="2024",
        mode="Simulation", host="localhost", mainLoop=["log memory", "health check"],
        upgrade=True, abortIfAnyTaskFails=True, debug=True, noTimestamp=True,
        set=["X=1", 'Y="two words"'], setFile="/tmp/vars",
    )
    argv = play_argv("/bin/cylc", args, "a/run1")
    assert argv[:3] == ["/bin/cylc", "play", "--color=never"]
    assert argv[-1] == "a/run1"
    assert sorted(argv[3:-1]) == sorted([
        "--initial-cycle-point=2020", "--start-cycle-point=2021", "--final-cycle-point=2030",
        "--stop-cycle-point=2025", "--pause", "--hold-cycle-point=2024", "--mode=simulation",
        "--host=localhost", "--main-loop=log memory", "--main-loop=health check", "--upgrade",
        "--abort-if-any-task-fails", "--debug", "--no-timestamp", "--set=X=1",
        '--set=Y="two words"', "--set-file=/tmp/vars",
    ])
    assert not any("cylc-version" in a or "workflows" in a for a in argv)


def test_mode_values():
    assert "--mode=dummy" in play_argv("cylc", dict(PLAY_DEFAULTS, mode="Dummy"), "a")
    with pytest.raises(CommandLineError):
        play_argv("cylc", dict(PLAY_DEFAULTS, mode="Bogus"), "a")


def test_a_value_like_an_option_stays_a_value():
    argv = play_argv("cylc", dict(PLAY_DEFAULTS, host="--debug"), "a")
    assert "--host=--debug" in argv and "--debug" not in argv


@pytest.mark.parametrize("name", ["-x", "--set=X", "", "/etc", "a/../b", "a\nb"])
def test_bad_workflow_names_refused(name):
    with pytest.raises(CommandLineError):
        play_argv("cylc", PLAY_DEFAULTS, name)
    with pytest.raises(CommandLineError):
        clean_argv("cylc", {}, name, remote_timeout=600)


def test_non_scalar_values_refused():
    with pytest.raises(CommandLineError):
        play_argv("cylc", dict(PLAY_DEFAULTS, host={"a": 1}), "a")


def test_cylc_version_sets_env():
    base = {"PATH": "/bin", "CYLC_ENV_NAME": "old", "CYLC_VERSION": "8.1"}
    env = play_env(base, dict(PLAY_DEFAULTS, cylcVersion="8.5.4"))
    assert env == {"PATH": "/bin", "CYLC_VERSION": "8.5.4"}
    assert base["CYLC_ENV_NAME"] == "old"
    assert play_env(base, PLAY_DEFAULTS) == base


def test_clean_argv():
    defaults = {"workflows": ["a"], "rm": "", "localOnly": False, "remoteOnly": False}
    assert clean_argv("cylc", defaults, "a", remote_timeout=600) == [
        "cylc", "clean", "--yes", "--timeout=PT600S", "a"]
    argv = clean_argv(
        "cylc", dict(defaults, rm="log:work", localOnly=True, remoteOnly=True), "a",
        remote_timeout=30.5,
    )
    assert argv == ["cylc", "clean", "--yes", "--timeout=PT30S", "--rm=log:work",
                    "--local-only", "--remote-only", "a"]
