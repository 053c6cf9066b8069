"""Tests for finding workflow run directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from uiserver.workflows.scan import scan_run_dir

from ._util import make_workflow, write_contact

pytestmark = pytest.mark.timeout(30)


def names(run_dir: Path, **kwargs) -> list[str]:
    return [wf.name for wf in scan_run_dir(run_dir, **kwargs)]


def test_missing_run_dir(tmp_path: Path) -> None:
    assert scan_run_dir(tmp_path / "nope") == []


def test_empty_run_dir(tmp_path: Path) -> None:
    assert scan_run_dir(tmp_path) == []


def test_nested_ids_up_to_max_depth(tmp_path: Path) -> None:
    for name in ("one", "a/two", "a/b/three", "a/b/c/four", "a/b/c/d/five"):
        make_workflow(tmp_path, name)
    assert names(tmp_path) == ["a/b/c/four", "a/b/three", "a/two", "one"]
    assert names(tmp_path, max_depth=2) == ["a/two", "one"]
    assert names(tmp_path, max_depth=1) == ["one"]


def test_found_workflow_fields(tmp_path: Path) -> None:
    path = make_workflow(tmp_path, "x/y")
    (wf,) = scan_run_dir(tmp_path)
    assert (wf.name, wf.path, wf.contact, wf.contact_error, wf.has_db) == (
        "x/y",
        path,
        None,
        None,
        False,
    )


def test_numbered_runs_skip_runn_and_install_dir(tmp_path: Path) -> None:
    source = make_workflow(tmp_path / "src", "demo")  # outside the run dir
    run_dir = tmp_path / "cylc-run"
    make_workflow(run_dir, "demo/run1")
    make_workflow(run_dir, "demo/run2")
    (run_dir / "demo" / "runN").symlink_to("run2")
    (run_dir / "demo" / "_cylc-install").mkdir()
    (run_dir / "demo" / "_cylc-install" / "source").symlink_to(source)
    assert names(run_dir) == ["demo/run1", "demo/run2"]


def test_named_runs(tmp_path: Path) -> None:
    make_workflow(tmp_path, "demo/foo")
    make_workflow(tmp_path, "demo/bar")
    assert names(tmp_path) == ["demo/bar", "demo/foo"]


def test_no_run_name_layout(tmp_path: Path) -> None:
    path = make_workflow(tmp_path, "plain")
    (path / "_cylc-install").mkdir()
    (path / "_cylc-install" / "source").symlink_to(tmp_path / "elsewhere")
    assert names(tmp_path) == ["plain"]


def test_workflow_is_not_descended_into(tmp_path: Path) -> None:
    make_workflow(tmp_path, "outer")
    make_workflow(tmp_path, "outer/inner")
    assert names(tmp_path) == ["outer"]


def test_reserved_and_source_names_skipped(tmp_path: Path) -> None:
    for name in ("log/a", "share/b", "work/c", ".service/d", "_cylc-install/e", "source/f",
                 "x/source/g", "runN/h"):
        make_workflow(tmp_path, name)
    make_workflow(tmp_path, ".hidden/ok")
    assert names(tmp_path) == [".hidden/ok"]


def test_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "flow.cylc").write_text("")  # the run dir itself is never a workflow
    (tmp_path / "notes.txt").write_text("")
    make_workflow(tmp_path, "wf")
    assert names(tmp_path) == ["wf"]


def test_suite_rc(tmp_path: Path) -> None:
    # Never run: a Cylc 8 workflow in Cylc 7 compatibility mode.
    make_workflow(tmp_path, "fresh", flow_file="suite.rc")
    # Ran by Cylc 8.
    ran8 = make_workflow(tmp_path, "ran8", flow_file="suite.rc")
    (ran8 / "log" / "scheduler").mkdir(parents=True)
    (ran8 / "log" / "suite").mkdir(parents=True)
    (ran8 / "log" / "suite" / "log").write_text("")
    # Ran by Cylc 7: skipped, and not descended into.
    ran7 = make_workflow(tmp_path, "ran7", flow_file="suite.rc")
    (ran7 / "log" / "suite").mkdir(parents=True)
    (ran7 / "log" / "suite" / "log").write_text("")
    make_workflow(tmp_path, "ran7/nested")
    assert names(tmp_path) == ["fresh", "ran8"]


def test_symlinked_workflow_is_followed(tmp_path: Path) -> None:
    target = make_workflow(tmp_path / "other-fs", "real")
    run_dir = tmp_path / "cylc-run"
    (run_dir / "proj").mkdir(parents=True)
    (run_dir / "proj" / "linked").symlink_to(target)
    (wf,) = scan_run_dir(run_dir)
    assert wf.name == "proj/linked"
    assert wf.path == run_dir / "proj" / "linked"


def test_symlink_loops_terminate(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "up").symlink_to("..")
    (tmp_path / "a" / "self").symlink_to(".")
    (tmp_path / "a" / "root").symlink_to(tmp_path)
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    (tmp_path / "x").symlink_to("y")
    (tmp_path / "y").symlink_to("x")
    make_workflow(tmp_path, "a/b/wf")
    assert names(tmp_path, max_depth=50) == ["a/b/wf"]


def test_symlinked_run_dir_and_a_link_back_into_it(tmp_path: Path) -> None:
    # Real paths under a symlinked run dir are derived from its real path: a
    # link elsewhere in it to the same workflow is the same workflow.
    make_workflow(tmp_path / "real-run", "proj/wf")
    run_dir = tmp_path / "cylc-run"
    run_dir.symlink_to(tmp_path / "real-run")
    (tmp_path / "real-run" / "zproj").mkdir()
    (tmp_path / "real-run" / "zproj" / "link").symlink_to(tmp_path / "real-run" / "proj" / "wf")
    assert names(run_dir) == ["proj/wf"]
    (wf,) = scan_run_dir(run_dir)
    assert wf.path == run_dir / "proj" / "wf"


def test_a_directory_entry_that_cannot_be_stat_ed_is_skipped(tmp_path: Path) -> None:
    make_workflow(tmp_path, "good/wf")
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    assert names(tmp_path) == ["good/wf"]


def test_run_dir_states(tmp_path: Path) -> None:
    make_workflow(tmp_path, "never")
    (make_workflow(tmp_path, "installed") / ".service").mkdir()
    make_workflow(tmp_path, "stopped", db=True)
    make_workflow(tmp_path, "running", db=True, contact={})
    make_workflow(tmp_path, "broken", db=True, contact={"CYLC_API": "4"})
    found = {wf.name: wf for wf in scan_run_dir(tmp_path)}
    assert sorted(found) == ["broken", "installed", "never", "running", "stopped"]
    for name in ("never", "installed", "stopped"):
        assert found[name].contact is None and found[name].contact_error is None
        assert not found[name].active
    assert [found[n].has_db for n in ("never", "installed", "stopped")] == [False, False, True]
    assert found["running"].contact is not None
    assert found["running"].contact.workflow_name == "running"
    assert found["running"].active
    assert found["broken"].contact is None
    assert "CYLC_API='4'" in (found["broken"].contact_error or "")
    assert found["broken"].active


def test_contact_vanishing_after_listing_means_stopped(tmp_path, monkeypatch) -> None:
    path = make_workflow(tmp_path, "wf", db=True, contact={})
    real_listdir = os.listdir

    def listdir(p):
        entries = real_listdir(p)
        if Path(p) == path / ".service":
            (path / ".service" / "contact").unlink()  # the scheduler shuts down now
        return entries

    monkeypatch.setattr(os, "listdir", listdir)
    (wf,) = scan_run_dir(tmp_path)
    assert wf.contact is None and wf.contact_error is None and wf.has_db


@pytest.mark.parametrize("error", [FileNotFoundError, PermissionError, OSError])
def test_unlistable_directory_is_skipped(tmp_path, monkeypatch, error) -> None:
    make_workflow(tmp_path, "bad/wf")
    make_workflow(tmp_path, "good/wf")
    real_listdir = os.listdir

    def listdir(p):
        if Path(p) == tmp_path / "bad":
            raise error("gone")
        return real_listdir(p)

    monkeypatch.setattr(os, "listdir", listdir)
    assert names(tmp_path) == ["good/wf"]


def test_a_memo_reuses_unchanged_contact_files(tmp_path: Path, monkeypatch) -> None:
    import uiserver.workflows.scan as scan_mod

    reads: list[Path] = []
    real_read = scan_mod.read_contact_file

    def counting_read(path: Path):
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(scan_mod, "read_contact_file", counting_read)
    running = make_workflow(tmp_path, "running", db=True, contact={})
    broken = make_workflow(tmp_path, "broken", db=True, contact={"CYLC_WORKFLOW_PORT": "x"})
    stopped = make_workflow(tmp_path, "stopped")
    memo: dict = {}

    def scan() -> dict[str, object]:
        return {wf.name: wf for wf in scan_run_dir(tmp_path, memo=memo)}

    first = scan()
    assert len(reads) == 2
    second = scan()
    # Nothing changed: the same results, no file read again.
    assert all(second[name] is first[name] for name in first) and len(reads) == 2
    assert "not a port number" in (second["broken"].contact_error or "")
    # A rewritten contact file (a restart on another port) is read again.
    write_contact(running, CYLC_WORKFLOW_ID="running", CYLC_WORKFLOW_PORT="43999")
    # Same size and inode: make sure the stamp differs, whatever the clock's granularity.
    os.utime(running / ".service" / "contact", ns=(1, 1))
    # A fixed one too, and the stopped workflow now has a DB.
    write_contact(broken, CYLC_WORKFLOW_ID="broken")
    (stopped / ".service").mkdir()
    (stopped / ".service" / "db").write_bytes(b"")
    third = scan()
    assert third["running"].contact.port == 43999
    assert third["broken"].contact is not None and third["broken"].contact_error is None
    assert third["stopped"].has_db and third["stopped"] is not second["stopped"]
    assert len(reads) == 4
    # A removed contact file means stopped; a removed workflow leaves the memo.
    (running / ".service" / "contact").unlink()
    for child in sorted(broken.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    broken.rmdir()
    fourth = scan()
    assert fourth["running"].contact is None and "broken" not in fourth
    assert sorted(memo) == sorted(str(tmp_path / name) for name in ("running", "stopped"))
    assert len(reads) == 4
