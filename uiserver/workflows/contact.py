"""Read and validate a scheduler's contact file (``<run dir>/.service/contact``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "API_VERSION",
    "ContactError",
    "ContactInfo",
    "ContactMissing",
    "contact_from_mapping",
    "parse_contact",
    "read_contact_file",
]

#: The only scheduler comms API this server speaks (Cylc 8).
API_VERSION: Final = 5

# Contact file keys (after SUITE -> WORKFLOW normalisation).
K_API: Final = "CYLC_API"
K_VERSION: Final = "CYLC_VERSION"
K_COMMAND: Final = "CYLC_WORKFLOW_COMMAND"
K_HOST: Final = "CYLC_WORKFLOW_HOST"
K_ID: Final = "CYLC_WORKFLOW_ID"
K_OWNER: Final = "CYLC_WORKFLOW_OWNER"
K_PID: Final = "CYLC_WORKFLOW_PID"
K_PORT: Final = "CYLC_WORKFLOW_PORT"
K_PUB_PORT: Final = "CYLC_WORKFLOW_PUBLISH_PORT"
K_RUN_DIR: Final = "CYLC_WORKFLOW_RUN_DIR_ON_WORKFLOW_HOST"
K_UUID: Final = "CYLC_WORKFLOW_UUID"

_REQUIRED: Final = (K_API, K_HOST, K_ID, K_PORT, K_PUB_PORT)


class ContactError(Exception):
    """A contact file is unusable; the message says why and what to do."""


class ContactMissing(ContactError):
    """There is no contact file: the workflow is not running."""


@dataclass(frozen=True, slots=True)
class ContactInfo:
    """The validated contents of a Cylc 8 contact file."""

    workflow_name: str
    host: str
    port: int
    pub_port: int
    api: int
    cylc_version: str
    pid: int | None = None
    uuid: str | None = None
    command: str | None = None
    owner: str | None = None
    run_dir: str | None = None

    @property
    def identity(self) -> tuple[str | None, int | None, str, int, int]:
        """What changes when the scheduler (re)starts: ``(uuid, pid, host, port, pub_port)``."""
        return (self.uuid, self.pid, self.host, self.port, self.pub_port)


def parse_contact(text: str) -> dict[str, str]:
    """Parse contact file text into a dict of normalised keys to values.

    Each line is split on its first ``=``; key and value are stripped.
    Lines without ``=`` (including blank ones) are ignored. ``SUITE`` in keys
    becomes ``WORKFLOW`` so pre-8.0 style keys read the same as new ones.
    """
    data: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key = key.strip().replace("SUITE", "WORKFLOW")
        if key:
            data[key] = value.strip()
    return data


def _describe(source: str) -> str:
    return f"contact file {source}" if source else "contact file"


def _port(data: Mapping[str, str], key: str, where: str) -> int:
    raw = data[key]
    try:
        port = int(raw)
    except ValueError:
        raise ContactError(
            f"{where} has {key}={raw!r}, which is not a port number: the file is corrupt; "
            "if the scheduler is not running, remove it"
        ) from None
    if not 1 <= port <= 65535:
        raise ContactError(
            f"{where} has {key}={port}, outside 1..65535: the file is corrupt; "
            "if the scheduler is not running, remove it"
        )
    return port


def _pid(data: Mapping[str, str], where: str) -> int | None:
    raw = data.get(K_PID)
    # "None" is what a str()-ed missing value looks like; treat it as absent.
    if not raw or raw == "None":
        return None
    try:
        pid = int(raw)
    except ValueError:
        pid = 0
    if pid <= 0:
        raise ContactError(
            f"{where} has {K_PID}={raw!r}, which is not a process id: the file is corrupt; "
            "if the scheduler is not running, remove it"
        )
    return pid


def contact_from_mapping(data: Mapping[str, str], source: str = "") -> ContactInfo:
    """Validate parsed contact data and build a :class:`ContactInfo`.

    ``source`` (usually the file path) is only used in error messages.
    Raises :class:`ContactError` for Cylc 7 files, a scheduler API other than
    5, missing required keys (e.g. a partially written file) or bad numbers.
    """
    where = _describe(source)
    api = data.get(K_API, "")
    version = data.get(K_VERSION, "")
    missing = [key for key in _REQUIRED if not data.get(key)]
    # Every 8.x scheduler writes the publish port, so its absence means Cylc 7
    # - unless the file otherwise looks like Cylc 8, in which case it was cut short.
    if K_PUB_PORT in missing and api != str(API_VERSION) and not version.startswith("8."):
        found = f" (CYLC_API={api!r}, CYLC_VERSION={version!r})" if api or version else ""
        raise ContactError(
            f"{where} has no {K_PUB_PORT}{found}: written by Cylc 7 or earlier, "
            "which this server does not support; use a Cylc 7 GUI for this workflow"
        )
    if api and api != str(API_VERSION):
        raise ContactError(
            f"{where} has CYLC_API={api!r} (Cylc {version or 'unknown version'}), but this "
            f"server only speaks scheduler API {API_VERSION}: run the workflow with a "
            "compatible Cylc 8 version"
        )
    if missing:
        raise ContactError(
            f"{where} is incomplete (missing {', '.join(missing)}): it may be partially "
            "written (it will be re-read on the next scan) or corrupt (if the scheduler "
            "is not running, remove it)"
        )
    return ContactInfo(
        workflow_name=data[K_ID],
        host=data[K_HOST],
        port=_port(data, K_PORT, where),
        pub_port=_port(data, K_PUB_PORT, where),
        api=API_VERSION,
        cylc_version=version,
        pid=_pid(data, where),
        uuid=data.get(K_UUID) or None,
        command=data.get(K_COMMAND) or None,
        owner=data.get(K_OWNER) or None,
        run_dir=data.get(K_RUN_DIR) or None,
    )


def read_contact_file(path: Path) -> ContactInfo:
    """Read, parse and validate the contact file at ``path``.

    Raises :class:`ContactMissing` if there is no file, and
    :class:`ContactError` if it cannot be read, is not UTF-8 or is invalid
    (see :func:`contact_from_mapping`).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContactMissing(f"no contact file {path}: the workflow is not running") from None
    except PermissionError:
        raise ContactError(
            f"contact file {path} is not readable by this server: run the server as the "
            "workflow owner or fix the file's permissions"
        ) from None
    except OSError as exc:
        # A directory in its place, an NFS error, etc.
        raise ContactError(
            f"contact file {path} cannot be read ({exc.strerror or exc}): check the "
            "workflow's .service directory"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContactError(
            f"contact file {path} is not valid UTF-8 (byte {exc.start}): the file is "
            "corrupt; if the scheduler is not running, remove it"
        ) from None
    return contact_from_mapping(parse_contact(text), str(path))
