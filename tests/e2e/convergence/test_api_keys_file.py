# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""api_keys_file on a fresh host (issue 22): the action plugin reads the file on the controller and hands the module
its items as a JSON file in the task's temporary directory, with pipelining on and off and Ansible's temporary
directories where they are configured; the module reconciles them, nothing is left behind, and the result's echo of the
arguments names the user's file, not the handed-over one nor its items. Bad items fail naming the item, before any
request."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from harness import report

MODULE = "fiskaly.management.fiskaly_api_key"
HANDED_OVER = "fiskaly_api_keys.json"
TABLE = "api_keys_file handed over (issue 22)"


@pytest.fixture
def short_tmp():
    """A TMPDIR with a short path: ansible-core 2.21+ puts a Unix socket there, whose path has at most 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="fk-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def declaration(tmp_path: Path, items: list) -> Path:
    path = tmp_path / "declared" / "fleet.yml"
    path.parent.mkdir()
    path.write_text("\n".join(["api_keys:"] + [f"  - {json.dumps(item)}" for item in items]) + "\n")
    return path


def fleet_task(path: Path, secrets: Path, **options) -> dict:
    return {
        "name": "fleet",
        MODULE: {"api_keys_file": str(path), "kind": "test", "secrets_file": str(secrets), **options},
        "register": "fleet",
    }


def left_behind(*directories: Path) -> list[str]:
    return sorted(str(path) for directory in directories for path in directory.rglob(HANDED_OVER))


@pytest.mark.parametrize("pipelining", [False, True], ids=["pipelining-off", "pipelining-on"])
def test_the_file_reaches_the_module_and_nothing_is_left(ansible, emulator, tmp_path, pipelining, short_tmp):
    names = [f"file-{'on' if pipelining else 'off'}-{number}" for number in range(3)]
    path = declaration(tmp_path, [{"name": name} for name in names[:2]] + [{"name": names[2], "state": "disabled"}])
    home, remote_tmp = tmp_path / "home", tmp_path / "remote-tmp"
    home.mkdir()
    remote_tmp.mkdir()
    env = {
        "HOME": str(home),
        "TMPDIR": str(short_tmp),
        "ANSIBLE_REMOTE_TMP": str(remote_tmp),
        "ANSIBLE_PIPELINING": str(pipelining),
    }

    run = ansible.playbook([fleet_task(path, tmp_path / "secrets.json")], env=env, keep=("fleet",))

    assert run.rc == 0, run.output[-3000:]
    keys = emulator.keys()
    assert {name: keys[name]["status"] for name in names} == dict(zip(names, ["enabled", "enabled", "disabled"]))
    result = run.kept("fleet")
    assert result["summary"]["created"] == 3
    # ansible-core up to 2.20 keeps the echo of the arguments in the result: it names the file that was given.
    echo = result.get("invocation", {}).get("module_args")
    if echo is not None:
        assert echo["api_keys_file"] == str(path) and echo["api_keys"] is None
    assert HANDED_OVER not in json.dumps(result)
    assert left_behind(remote_tmp, short_tmp, home) == []
    report(TABLE, f"pipelining {'on' if pipelining else 'off'}", "3 keys reconciled, nothing left, echo names the file")


def test_bad_items_fail_naming_each_item_before_any_request(ansible, emulator, tmp_path):
    items = [
        {"name": "file-ok-1"},
        {"name": "file-bad-2", "colour": "red"},
        {"name": "file-bad-3", "state": "gone"},
        {"kind": "live"},
        {"name": "File Bad 5"},
    ]
    path = declaration(tmp_path, items)
    before = len(emulator.requests())

    run = ansible.playbook([fleet_task(path, tmp_path / "secrets.json")], keep=())

    assert run.rc != 0
    message = run.task("fleet")["msg"]
    assert "api_keys[1] has options a key does not take: colour" in message
    assert (
        "value of state must be one of: present, enabled, disabled, absent, got: gone found in api_keys[2]" in message
    )
    assert "missing required arguments: name found in api_keys[3]" in message
    assert "Traceback" not in run.output
    assert len(emulator.requests()) == before
    # The name rule is checked once the items' options passed: a declaration with only that wrong fails on it.
    path.write_text('- {"name": "File Bad 5"}\n')
    run = ansible.playbook([fleet_task(path, tmp_path / "secrets.json")], keep=())
    assert run.rc != 0
    assert run.task("fleet")["msg"].startswith("api_keys[0].name must match ^[a-z0-9-]{3,30}$")
    assert len(emulator.requests()) == before
    report(TABLE, "bad items in the file", "each named as api_keys[N], no request sent")


def test_a_second_attempt_reads_the_users_file_again(ansible, emulator, tmp_path):
    # until/retries run the action plugin again with the same task: it must find the user's file, not the JSON file of
    # the first attempt (removed with that attempt's temporary directory).
    names = ["file-retry-1", "file-retry-2"]
    path = declaration(tmp_path, [{"name": name} for name in names])
    emulator.inject("GET", "/api_keys", [{"status": 400}])  # the first attempt's listing fails, and is not retried
    task = {**fleet_task(path, tmp_path / "secrets.json"), "until": "fleet is succeeded", "retries": 2, "delay": 0}

    run = ansible.playbook([task], keep=("fleet",))

    assert run.rc == 0, run.output[-3000:]
    result = run.kept("fleet")
    assert result["attempts"] == 2 and result["summary"]["created"] == 2
    assert sorted(name for name in emulator.keys() if name.startswith("file-retry-")) == names
    echo = result.get("invocation", {}).get("module_args")
    if echo is not None:
        assert echo["api_keys_file"] == str(path)
    report(TABLE, "until/retries", "the second attempt reads the user's file again")
