"""One writer per run folder: the lock refuses a second writer in one sentence, dies with
its process, and a run that never started leaves no folder (issue 8, items 4 and 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from core.errors import LoupeError
from core.files.run_folder import read_run_summary
from core.files.run_lock import LOCK_FILE, RunFolderBusy, RunLock, run_folder_in_use
from tests.conftest import ROOT


def test_a_second_writer_is_refused_in_one_sentence(tmp_path):
    first = RunLock.acquire(str(tmp_path / "run"))
    with pytest.raises(RunFolderBusy) as caught:
        RunLock.acquire(str(tmp_path / "run"))
    message = str(caught.value)
    assert str(tmp_path / "run") in message and "in use by another Loupe run" in message
    assert f"process {os.getpid()}" in message and "\n" not in message
    first.release()
    RunLock.acquire(str(tmp_path / "run")).release()  # free again


def test_the_lock_dies_with_its_process(tmp_path):
    folder = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                sys.path.insert(0, {str(ROOT)!r})
                from core.files.run_lock import RunLock
                lock = RunLock.acquire({str(folder)!r})
                print("locked", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert run_folder_in_use(str(folder)) is True
        with pytest.raises(RunFolderBusy, match=f"process {holder.pid}"):
            RunLock.acquire(str(folder))
    finally:
        holder.kill()  # a crash: no clean-up code runs
        holder.wait()
    assert run_folder_in_use(str(folder)) is False
    RunLock.acquire(str(folder)).release()


def test_running_status_without_a_held_lock_reads_as_interrupted(tmp_path):
    run = tmp_path / "run"
    lock = RunLock.acquire(str(run))
    (run / "run.json").write_text(json.dumps({"status": "running", "host": "elsewhere"}))
    assert read_run_summary(str(run))["status"] == "running"
    lock.release()
    assert read_run_summary(str(run))["status"] == "interrupted"  # even from another host


def test_a_folder_made_for_a_run_that_never_started_is_removed(tmp_path):
    lock = RunLock.acquire(str(tmp_path / "new"))
    assert lock.created and os.listdir(tmp_path / "new") == [LOCK_FILE]
    lock.release(remove_created_folder=True)
    assert not (tmp_path / "new").exists()

    (tmp_path / "mine").mkdir()
    lock = RunLock.acquire(str(tmp_path / "mine"))
    lock.release(remove_created_folder=True)
    assert (tmp_path / "mine").is_dir()  # not ours to remove


def test_a_file_is_not_a_run_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(LoupeError, match="notes.txt is a file"):
        RunLock.acquire(str(tmp_path / "notes.txt"))
    assert (tmp_path / "notes.txt").read_text() == "mine"
