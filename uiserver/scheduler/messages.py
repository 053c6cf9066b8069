"""Typed access to the generated protobuf classes of the scheduler data model.

Everything outside ``uiserver.scheduler`` imports message classes from here,
never from ``data_messages_pb2`` directly, so the generated module stays an
implementation detail.
"""

from __future__ import annotations

from typing import Final, Union

from google.protobuf.message import DecodeError, Message

from . import data_messages_pb2 as _pb

__all__ = [
    "AllDeltas",
    "DecodeError",
    "DELTA_CLASSES",
    "EDeltas",
    "ELEMENT_CLASSES",
    "ELEMENT_TYPES",
    "Element",
    "FDeltas",
    "FPDeltas",
    "JDeltas",
    "Message",
    "PbEdge",
    "PbEntireWorkflow",
    "PbFamily",
    "PbFamilyProxy",
    "PbJob",
    "PbLogRecord",
    "PbTask",
    "PbTaskProxy",
    "PbWorkflow",
    "TDeltas",
    "TPDeltas",
    "TypeDeltas",
    "WDeltas",
]

PbWorkflow = _pb.PbWorkflow
PbTask = _pb.PbTask
PbTaskProxy = _pb.PbTaskProxy
PbJob = _pb.PbJob
PbFamily = _pb.PbFamily
PbFamilyProxy = _pb.PbFamilyProxy
PbEdge = _pb.PbEdge
PbLogRecord = _pb.PbLogRecord
PbEntireWorkflow = _pb.PbEntireWorkflow
AllDeltas = _pb.AllDeltas
EDeltas = _pb.EDeltas
FDeltas = _pb.FDeltas
FPDeltas = _pb.FPDeltas
JDeltas = _pb.JDeltas
TDeltas = _pb.TDeltas
TPDeltas = _pb.TPDeltas
WDeltas = _pb.WDeltas

Element = Union[
    _pb.PbWorkflow, _pb.PbTask, _pb.PbTaskProxy, _pb.PbJob,
    _pb.PbFamily, _pb.PbFamilyProxy, _pb.PbEdge,
]
TypeDeltas = Union[
    _pb.EDeltas, _pb.FDeltas, _pb.FPDeltas, _pb.JDeltas,
    _pb.TDeltas, _pb.TPDeltas, _pb.WDeltas,
]

#: Element types in ``AllDeltas`` field-number order, the order in which a
#: batch is applied and checksum-verified (protocol §6.7). These names are
#: also the PUB topics and the ``pb_data_elements`` element types.
ELEMENT_TYPES: Final = (
    "families",
    "family_proxies",
    "jobs",
    "tasks",
    "task_proxies",
    "edges",
    "workflow",
)

#: Element type name -> its ``*Deltas`` message class (cylc's DELTAS_MAP).
DELTA_CLASSES: Final[dict[str, type]] = {
    "families": _pb.FDeltas,
    "family_proxies": _pb.FPDeltas,
    "jobs": _pb.JDeltas,
    "tasks": _pb.TDeltas,
    "task_proxies": _pb.TPDeltas,
    "edges": _pb.EDeltas,
    "workflow": _pb.WDeltas,
}

#: Element type name -> its element message class.
ELEMENT_CLASSES: Final[dict[str, type]] = {
    "families": _pb.PbFamily,
    "family_proxies": _pb.PbFamilyProxy,
    "jobs": _pb.PbJob,
    "tasks": _pb.PbTask,
    "task_proxies": _pb.PbTaskProxy,
    "edges": _pb.PbEdge,
    "workflow": _pb.PbWorkflow,
}
