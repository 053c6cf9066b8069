"""Exceptions raised by the scheduler link; nothing lower-level escapes it."""

from __future__ import annotations

__all__ = [
    "KeyLoadError",
    "ReplyError",
    "RequestTimeout",
    "SchedulerError",
    "SchedulerRequestError",
]


class SchedulerError(Exception):
    """Base class for every failure talking to a scheduler."""


class KeyLoadError(SchedulerError):
    """The CurveZMQ key files of a workflow are missing, unreadable or malformed."""


class RequestTimeout(SchedulerError):
    """No reply in time.

    With CurveZMQ a rejected key, a wrong server key, a hung scheduler and a
    dead one all look the same: silence (protocol §2.4).
    """


class SchedulerRequestError(SchedulerError):
    """The scheduler answered with its JSON error envelope."""


class ReplyError(SchedulerError):
    """The reply could not be decoded (corrupt protobuf, bad JSON, wrong shape)."""
