"""The generated protobuf module against the protocol's test vectors, its .proto and cylc-flow."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from uiserver.scheduler import data_messages_pb2
from uiserver.scheduler.messages import AllDeltas, PbTaskProxy, PbWorkflow, TPDeltas, WDeltas
from uiserver.store.checksum import stamps_checksum

__all__: list[str] = []

PROTO = Path(data_messages_pb2.__file__).with_name("data_messages.proto")

VECTOR_1 = bytes.fromhex(
    "09000000000000f83f 1001 2217 12097e752f772f2f312f61 220772756e6e696e67 880100"
    " 2a097e752f772f2f312f62 3000".replace(" ", "")
)
VECTOR_2 = bytes.fromhex("2a31") + VECTOR_1 + bytes.fromhex(
    "3a19 09000000000000f83f 1a0e 12047e752f77 2206706175736564".replace(" ", "")
)


def vector_1() -> TPDeltas:
    return TPDeltas(
        time=1.5,
        checksum=1,
        updated=[PbTaskProxy(id="~u/w//1/a", state="running", is_held=False)],
        pruned=["~u/w//1/b"],
        reloaded=False,
    )


def test_vector_1_bytes() -> None:
    assert vector_1().SerializeToString() == VECTOR_1
    parsed = TPDeltas.FromString(VECTOR_1)
    assert parsed == vector_1()
    # Explicit presence survives the round trip: false is there, not absent.
    assert parsed.updated[0].HasField("is_held")
    assert parsed.HasField("reloaded")


def test_vector_2_bytes() -> None:
    message = AllDeltas(
        task_proxies=vector_1(),
        workflow=WDeltas(time=1.5, updated=PbWorkflow(id="~u/w", status="paused")),
    )
    assert message.SerializeToString() == VECTOR_2
    assert AllDeltas.FromString(VECTOR_2) == message


def test_vector_3_checksums() -> None:
    assert stamps_checksum(["~u/w//1/a@1.0", "~u/w//1/b@2.0"]) == 1715406609
    assert stamps_checksum(["~u/w//1/b@2.0", "~u/w//1/a@1.0"]) == 1715406609
    assert stamps_checksum([]) == 1


def _ours() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    data_messages_pb2.DESCRIPTOR.CopyToProto(proto)
    return proto


def test_generated_module_matches_proto(tmp_path: Path) -> None:
    protoc = pytest.importorskip("grpc_tools.protoc")
    out = tmp_path / "set.pb"
    code = protoc.main([
        "protoc", f"-I{PROTO.parent}", f"--descriptor_set_out={out}", str(PROTO),
    ])
    assert code == 0
    compiled = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file[0]
    compiled.ClearField("source_code_info")
    ours = _ours()
    assert compiled.name == ours.name == "data_messages.proto"
    assert compiled.syntax == ours.syntax == "proto3"
    assert not ours.package
    # CopyToProto may leave out the derived json_name; everything else must match.
    assert _without_json_names(compiled) == _without_json_names(ours)


def _without_json_names(proto: descriptor_pb2.FileDescriptorProto) -> list:
    messages = [descriptor_pb2.DescriptorProto() for _ in proto.message_type]
    for copy, message in zip(messages, proto.message_type):
        copy.CopyFrom(message)
        for nested in [copy, *copy.nested_type]:
            for field in nested.field:
                field.ClearField("json_name")
    return messages


_DUMP_CYLC = textwrap.dedent(
    """
    import sys
    from google.protobuf import descriptor_pb2
    from cylc.flow import data_messages_pb2
    proto = descriptor_pb2.FileDescriptorProto()
    data_messages_pb2.DESCRIPTOR.CopyToProto(proto)
    open(sys.argv[1], "wb").write(proto.SerializeToString())
    """
)


def _fields(message: descriptor_pb2.DescriptorProto) -> dict[str, tuple]:
    return {
        field.name: (
            field.number, field.type, field.label, field.type_name, field.proto3_optional,
        )
        for field in message.field
    }


def _map_entries(message: descriptor_pb2.DescriptorProto) -> dict[str, tuple]:
    return {
        nested.name: (nested.options.map_entry, _fields(nested))
        for nested in message.nested_type
    }


def test_generated_module_matches_cylc_flow(tmp_path: Path) -> None:
    # Both modules register "data_messages.proto" in the default pool, so
    # cylc-flow's can only be loaded in another process.
    probe = subprocess.run(
        [sys.executable, "-c", "import cylc.flow.data_messages_pb2"],
        capture_output=True,
    )
    if probe.returncode:
        pytest.skip("cylc-flow is not importable")
    out = tmp_path / "cylc.pb"
    subprocess.run(
        [sys.executable, "-c", _DUMP_CYLC, str(out)], check=True, cwd=tmp_path
    )
    theirs = descriptor_pb2.FileDescriptorProto.FromString(out.read_bytes())
    ours = _ours()
    assert theirs.name == ours.name
    assert theirs.syntax == ours.syntax
    assert theirs.package == ours.package
    their_messages = {message.name: message for message in theirs.message_type}
    our_messages = {message.name: message for message in ours.message_type}
    assert sorted(their_messages) == sorted(our_messages)
    for name, message in our_messages.items():
        assert _fields(message) == _fields(their_messages[name]), name
        assert _map_entries(message) == _map_entries(their_messages[name]), name
