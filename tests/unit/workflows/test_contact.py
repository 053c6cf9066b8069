"""Tests for contact file parsing and validation."""

from __future__ import annotations

import os

import pytest

from uiserver.workflows.contact import (
    ContactError,
    ContactInfo,
    ContactMissing,
    contact_from_mapping,
    parse_contact,
    read_contact_file,
)

from ._util import UUID, contact_text, own_command


def test_parse_splits_on_first_equals_and_strips() -> None:
    text = "  CYLC_WORKFLOW_COMMAND =  cylc play --set=a=b demo  \nCYLC_API=5\n"
    assert parse_contact(text) == {
        "CYLC_WORKFLOW_COMMAND": "cylc play --set=a=b demo",
        "CYLC_API": "5",
    }


def test_parse_skips_blank_and_malformed_lines() -> None:
    assert parse_contact("\n   \nno equals here\n=orphan value\nA=\n") == {"A": ""}


def test_parse_renames_suite_to_workflow() -> None:
    data = parse_contact("CYLC_SUITE_HOST=h\nCYLC_SUITE_PUBLISH_PORT=1\nSUITE_SUITE=x\n")
    assert data == {
        "CYLC_WORKFLOW_HOST": "h",
        "CYLC_WORKFLOW_PUBLISH_PORT": "1",
        "WORKFLOW_WORKFLOW": "x",
    }


def test_parse_windows_line_endings() -> None:
    assert parse_contact("A=1\r\nB=2\r\n") == {"A": "1", "B": "2"}


def test_full_contact_file() -> None:
    info = contact_from_mapping(parse_contact(contact_text()))
    assert info == ContactInfo(
        workflow_name="demo/run1",
        host="localhost",
        port=43001,
        pub_port=43002,
        api=5,
        cylc_version="8.5.4",
        pid=os.getpid(),
        uuid=UUID,
        command=own_command(),
        owner="me",
        run_dir="/home/me/cylc-run/demo/run1",
    )
    assert info.identity == (UUID, os.getpid(), "localhost", 43001, 43002)


def test_old_suite_keys_accepted_when_api_5() -> None:
    text = contact_text().replace("WORKFLOW", "SUITE")
    info = contact_from_mapping(parse_contact(text))
    assert (info.workflow_name, info.port, info.pub_port) == ("demo/run1", 43001, 43002)


def test_optional_keys_may_be_absent() -> None:
    text = contact_text(
        CYLC_WORKFLOW_PID=None,
        CYLC_WORKFLOW_UUID=None,
        CYLC_WORKFLOW_COMMAND=None,
        CYLC_WORKFLOW_OWNER=None,
        CYLC_WORKFLOW_RUN_DIR_ON_WORKFLOW_HOST=None,
        CYLC_VERSION=None,
    )
    info = contact_from_mapping(parse_contact(text))
    assert (info.pid, info.uuid, info.command, info.owner, info.run_dir) == (None,) * 5
    assert info.cylc_version == ""


def test_cylc7_contact_file() -> None:
    text = (
        "CYLC_API=4\nCYLC_SUITE_HOST=h\nCYLC_SUITE_NAME=old\nCYLC_SUITE_PORT=43001\n"
        "CYLC_VERSION=7.8.14\n"
    )
    with pytest.raises(ContactError, match="no CYLC_WORKFLOW_PUBLISH_PORT.*Cylc 7 or earlier"):
        contact_from_mapping(parse_contact(text), "/x/contact")


def test_wrong_api_version() -> None:
    with pytest.raises(ContactError, match=r"CYLC_API='4'.*only speaks scheduler API 5") as err:
        contact_from_mapping(parse_contact(contact_text(CYLC_API="4")), "/x/contact")
    assert "/x/contact" in str(err.value)


def test_partial_file_is_incomplete_not_cylc7() -> None:
    text = contact_text()
    cut = text[: text.index("CYLC_WORKFLOW_PORT")]  # written up to the ports
    with pytest.raises(ContactError, match="incomplete") as err:
        contact_from_mapping(parse_contact(cut))
    assert "CYLC_WORKFLOW_PORT" in str(err.value)
    assert "Cylc 7" not in str(err.value)


@pytest.mark.parametrize("key", ["CYLC_WORKFLOW_HOST", "CYLC_WORKFLOW_ID", "CYLC_WORKFLOW_PORT"])
def test_required_key_missing_or_empty(key: str) -> None:
    for value in (None, ""):
        with pytest.raises(ContactError, match=f"incomplete.*{key}"):
            contact_from_mapping(parse_contact(contact_text(**{key: value})))


def test_empty_file() -> None:
    with pytest.raises(ContactError):
        contact_from_mapping(parse_contact(""))


@pytest.mark.parametrize("port", ["abc", "0", "65536", "-1"])
def test_bad_port(port: str) -> None:
    with pytest.raises(ContactError, match="CYLC_WORKFLOW_PUBLISH_PORT"):
        contact_from_mapping(parse_contact(contact_text(CYLC_WORKFLOW_PUBLISH_PORT=port)))


@pytest.mark.parametrize("pid", ["abc", "0", "-5"])
def test_bad_pid(pid: str) -> None:
    with pytest.raises(ContactError, match="CYLC_WORKFLOW_PID"):
        contact_from_mapping(parse_contact(contact_text(CYLC_WORKFLOW_PID=pid)))


def test_read_contact_file(tmp_path) -> None:
    path = tmp_path / "contact"
    path.write_text(contact_text())
    assert read_contact_file(path).port == 43001


def test_read_missing_file(tmp_path) -> None:
    with pytest.raises(ContactMissing, match="not running"):
        read_contact_file(tmp_path / "contact")


def test_read_directory_in_place_of_file(tmp_path) -> None:
    (tmp_path / "contact").mkdir()
    with pytest.raises(ContactError) as err:
        read_contact_file(tmp_path / "contact")
    assert not isinstance(err.value, ContactMissing)


def test_read_non_utf8(tmp_path) -> None:
    path = tmp_path / "contact"
    path.write_bytes(contact_text().encode() + b"CYLC_X=\xff\xfe\n")
    with pytest.raises(ContactError, match="UTF-8"):
        read_contact_file(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_read_unreadable_file(tmp_path) -> None:
    path = tmp_path / "contact"
    path.write_text(contact_text())
    path.chmod(0)
    try:
        with pytest.raises(ContactError, match="not readable"):
            read_contact_file(path)
    finally:
        path.chmod(0o644)


def test_read_cylc7_file(tmp_path) -> None:
    path = tmp_path / "contact"
    path.write_text(
        "CYLC_SUITE_HOST=h\nCYLC_SUITE_NAME=x\nCYLC_SUITE_PORT=1\nCYLC_VERSION=7.9.9\n"
    )
    with pytest.raises(ContactError, match="Cylc 7"):
        read_contact_file(path)
