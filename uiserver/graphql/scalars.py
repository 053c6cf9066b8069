"""Named scalar types of the schema.

The web UI builds its command forms from argument type *names* (web-api §5),
so each of these is a distinct scalar even though most behave as strings.
"""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar

__all__ = [
    "BroadcastCyclePoint",
    "BroadcastSetting",
    "CyclePoint",
    "CylcVersion",
    "Flow",
    "GenericScalar",
    "NamespaceIDGlob",
    "NamespaceName",
    "OutputLabel",
    "PrerequisiteString",
    "TaskID",
    "TimePoint",
    "WorkflowID",
]


class WorkflowID(graphene.String):
    """A workflow ID, ``~user/workflow`` or ``workflow``; may be a glob."""


class CyclePoint(graphene.String):
    """A cycle point in the workflow's point format, e.g. ``2000`` or ``20000101T0000Z``."""


class BroadcastCyclePoint(graphene.String):
    """A cycle point, or ``*`` for every cycle point."""


class NamespaceName(graphene.String):
    """The name of a task or family, e.g. ``root``."""


class NamespaceIDGlob(graphene.String):
    """A relative task or family ID glob, ``cycle[/namespace][:state]``."""


class TaskID(graphene.String):
    """A relative task ID, ``cycle/task``."""


class TimePoint(graphene.String):
    """An ISO 8601 date-time, e.g. ``2000-01-01T00:00Z``."""


class Flow(graphene.String):
    """A flow number, or ``all``, ``new`` or ``none``."""


class OutputLabel(graphene.String):
    """A task output label, e.g. ``succeeded``, or a custom output's label."""


class PrerequisiteString(graphene.String):
    """A prerequisite, ``cycle/task:output``, e.g. ``1/a:succeeded``."""


class CylcVersion(graphene.String):
    """A Cylc version to run the workflow with, e.g. ``8.5.4``."""


class BroadcastSetting(GenericScalar):
    """A runtime setting to broadcast, as a nested object.

    For example ``{"environment": {"X": "1"}}`` or ``{"script": "true"}``.
    """
