"""Load a workflow's CurveZMQ keys from the ZPL certificate files in ``.service/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import KeyLoadError

__all__ = ["CurveKeys", "load_certificate", "load_keys"]

# Z85 encodes a 32-byte Curve25519 key as 40 characters.
_Z85_KEY_LENGTH = 40
_Z85_ALPHABET = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
)


@dataclass(frozen=True, slots=True)
class CurveKeys:
    """The three Z85 keys a CurveZMQ client socket needs (protocol §2.3)."""

    client_public: bytes
    client_secret: bytes
    server_public: bytes


def _clean_key(value: str, path: Path, which: str) -> bytes:
    key = value.strip().strip(" \t'\"")
    if len(key) != _Z85_KEY_LENGTH or not set(key) <= _Z85_ALPHABET:
        raise KeyLoadError(f"{path}: {which} is not a 40-character Z85 key")
    return key.encode("ascii")


def load_certificate(path: Path) -> tuple[bytes, bytes | None]:
    """Read a ZPL certificate; return ``(public_key, secret_key or None)``.

    Follows pyzmq's loading rule: skip ``#`` comments, take ``public-key`` and
    ``secret-key`` lines, split on the first ``=`` and strip spaces and quotes.

    :raises KeyLoadError: the file is missing, unreadable or has no public key.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyLoadError(f"{path} is missing: is the scheduler running?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyLoadError(f"cannot read {path}: {exc}") from None
    public: bytes | None = None
    secret: bytes | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("public-key", "secret-key")) and "=" in line:
            name, value = line.split("=", 1)
            if name.strip() == "public-key":
                public = _clean_key(value, path, "public-key")
            elif name.strip() == "secret-key":
                secret = _clean_key(value, path, "secret-key")
    if public is None:
        raise KeyLoadError(f"{path} has no public-key line")
    return public, secret


def load_keys(service_dir: Path) -> CurveKeys:
    """Load the client keypair and server public key from a ``.service`` directory.

    Keys are regenerated on every scheduler start and restart, so callers load
    them afresh on every (re)connect rather than caching them.

    :raises KeyLoadError: with the file and the reason.
    """
    client_public, client_secret = load_certificate(service_dir / "client.key_secret")
    if client_secret is None:
        raise KeyLoadError(f"{service_dir / 'client.key_secret'} has no secret-key line")
    server_public, _ = load_certificate(service_dir / "server.key")
    return CurveKeys(client_public, client_secret, server_public)
