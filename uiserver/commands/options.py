"""GraphQL arguments of ``play`` and ``clean`` as ``cylc`` command lines."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CommandLineError",
    "check_workflow_name",
    "clean_argv",
    "kebab_case",
    "play_argv",
    "play_env",
]

#: Arguments that are not ``cylc play`` options.
_PLAY_NOT_OPTIONS = frozenset({"workflows", "cylcVersion"})
#: GraphQL defaults of ``play`` that need no option (web-api §11.1). ``mode``
#: is left out at its default so restarting a simulation-mode workflow, which
#: must keep its original mode, still works.
_PLAY_DEFAULTS: dict[str, Any] = {"mode": "Live"}
_ENUM_VALUES = {"mode": {"Live": "live", "Simulation": "simulation", "Dummy": "dummy"}}


class CommandLineError(ValueError):
    """An argument cannot be put on a command line (message is for the user)."""


def kebab_case(name: str) -> str:
    """``holdCyclePoint`` -> ``hold-cycle-point``."""
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


def _option_value(name: str, value: Any) -> str:
    mapping = _ENUM_VALUES.get(name)
    if mapping is not None:
        if value not in mapping:
            raise CommandLineError(f"invalid value for {name}: {value!r}")
        return mapping[value]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CommandLineError(f"invalid value for {name}: {value!r}")
    text = str(value)
    if "\0" in text:
        raise CommandLineError(f"invalid value for {name}: contains a NUL byte")
    return text


def _options(
    args: Mapping[str, Any], skip: frozenset[str], defaults: Mapping[str, Any]
) -> list[str]:
    argv: list[str] = []
    for name, value in args.items():
        if name in skip or value is None or value is False:
            continue
        if name in defaults and value == defaults[name]:
            continue
        option = f"--{kebab_case(name)}"
        if value is True:
            argv.append(option)
        elif isinstance(value, (list, tuple)):
            # Always "--opt=value", never "--opt value": a value starting
            # with "-" must not be read as another option.
            argv.extend(
                f"{option}={_option_value(name, item)}" for item in value if item is not None
            )
        else:
            argv.append(f"{option}={_option_value(name, value)}")
    return argv


def check_workflow_name(name: str) -> str:
    """``name`` if it can be a positional argument of ``cylc``.

    :raises CommandLineError: empty, starts with ``-`` (it would be read as an
        option), absolute, or has a ``..`` component.
    """
    if not name or name.startswith("-") or name.startswith("/") or ".." in name.split("/"):
        raise CommandLineError(f"invalid workflow ID: {name!r}")
    if "\0" in name or "\n" in name:
        raise CommandLineError(f"invalid workflow ID: {name!r}")
    return name


def play_argv(executable: str, args: Mapping[str, Any], workflow: str) -> list[str]:
    """``cylc play --color=never <options> <workflow>``.

    Every non-null argument but ``workflows`` and ``cylcVersion`` becomes
    ``--kebab-case``: ``true`` as a bare flag (``false`` as nothing), a list as
    a repeated option, an enum as its value (``Simulation`` -> ``simulation``).
    """
    options = _options(args, _PLAY_NOT_OPTIONS, _PLAY_DEFAULTS)
    return [executable, "play", "--color=never", *options, check_workflow_name(workflow)]


def play_env(base: Mapping[str, str], args: Mapping[str, Any]) -> dict[str, str]:
    """The environment for ``cylc play``: ``cylcVersion`` selects the Cylc
    version through ``CYLC_VERSION`` (and drops ``CYLC_ENV_NAME``, which would
    override it)."""
    env = dict(base)
    version = args.get("cylcVersion")
    if version:
        env["CYLC_VERSION"] = _option_value("cylcVersion", version)
        env.pop("CYLC_ENV_NAME", None)
    return env


def clean_argv(
    executable: str, args: Mapping[str, Any], workflow: str, *, remote_timeout: float
) -> list[str]:
    """``cylc clean --yes --timeout=PT<n>S [--rm=..] [--local-only] [--remote-only] <workflow>``.

    ``--yes`` because nobody can answer its prompt (when one ID names several
    runs); ``rm`` is passed as given (colon-separated globs) unless empty.
    """
    argv = [executable, "clean", "--yes", f"--timeout=PT{max(int(remote_timeout), 1)}S"]
    rm = args.get("rm")
    if rm:
        argv.append(f"--rm={_option_value('rm', rm)}")
    if args.get("localOnly"):
        argv.append("--local-only")
    if args.get("remoteOnly"):
        argv.append("--remote-only")
    argv.append(check_workflow_name(workflow))
    return argv
