# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet run stopped by a signal (a cancelled CI job, Ctrl-C) keeps the secrets of the keys it created."""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from pathlib import Path

import pytest

from harness import faulted_requests, report, wait_for

MODULE = "fiskaly.management.fiskaly_api_key"
DELAY = 6.0  # long enough to stop the run while the third PUT waits for its answer


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_fleet_stopped_by_a_signal_writes_the_secrets_of_the_keys_it_created(ansible, emulator, tmp_path, signum):
    names = ["stop-a", "stop-b", "stop-c", "stop-d"]
    secrets_file = tmp_path / "secrets.json"
    emulator.inject("PUT", "/api_keys/stop-c", [{"delay": DELAY}])
    # One write at a time: the create in flight is the last one (tests/e2e/concurrency has the same with several in
    # flight).
    args = {
        "kind": "live",
        "api_keys": [{"name": name} for name in names],
        "secrets_file": str(secrets_file),
        "max_concurrent_requests": 1,
    }

    spawned = ansible.spawn([{"name": "fleet", MODULE: args}], verbosity=1)
    wait_for(lambda: len(emulator.requests("PUT")) == 2)
    time.sleep(0.5)  # the PUT of stop-c is on its way, waiting for its delayed answer
    spawned.signal_group(signum)  # ansible-playbook's own process group: what a cancelled CI job or Ctrl-C reaches
    run = spawned.wait()

    assert run.rc != 0
    # Written by the module, which ansible-playbook does not wait for; reserved (empty) from the start.
    wait_for(lambda: secrets_file.stat().st_size > 0, limit=DELAY + 10)
    secrets = json.loads(secrets_file.read_text())
    minted = {secret.owner: secret.value for secret in emulator.minted_secrets() if secret.kind == "key_secret"}
    # The create in flight when the signal came was let finish (its answer carries the secret); nothing started after
    # it.
    assert sorted(secrets) == ["stop-a", "stop-b", "stop-c"], sorted(secrets)
    assert secrets == {name: minted[name] for name in ("stop-a", "stop-b", "stop-c")}
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    assert "stop-d" not in emulator.keys()
    assert len(faulted_requests(emulator, 1, limit=DELAY + 10)) == 1  # the delayed PUT is over before the next test
    report(
        "stopped by a signal",
        f"fleet stopped by {signal.Signals(signum).name} during a create",
        "the create in flight finished; secrets of all keys created written to secrets_file (0600); no later key attempted",
    )


def test_the_role_names_its_secrets_file_before_a_signal_stops_the_run_and_the_secrets_are_there(
    ansible, emulator, tmp_path
):
    names = ["stop-r1", "stop-r2", "stop-r3"]
    emulator.inject("PUT", "/api_keys/stop-r3", [{"delay": DELAY}])
    tasks = [
        {
            "name": "declare",
            "ansible.builtin.include_role": {"name": "fiskaly.management.api_keys"},
            "vars": {
                "api_keys_list": [{"name": name, "kind": "test"} for name in names],
                "api_keys_secrets_dir": str(tmp_path),
            },
        }
    ]

    spawned = ansible.spawn(tasks, verbosity=0)
    wait_for(lambda: len(emulator.requests("PUT")) == 2)
    time.sleep(0.5)
    spawned.signal_group(signal.SIGTERM)
    run = spawned.wait()

    # The only output a stopped run leaves is what it printed before: the path, said up front.
    named = [line for line in run.stdout.splitlines() if "The secrets of the keys this run creates go to " in line]
    assert len(named) == 1, run.stdout[-3000:]
    path = Path(named[0].split(" go to ", 1)[1].split(" (mode 0600)", 1)[0])
    assert path.parent == tmp_path
    wait_for(lambda: path.exists() and path.stat().st_size > 0, limit=DELAY + 10)
    minted = {secret.owner: secret.value for secret in emulator.minted_secrets() if secret.kind == "key_secret"}
    assert json.loads(path.read_text()) == {name: minted[name] for name in names}  # stop-r3's create in flight finished
    assert len(faulted_requests(emulator, 1, limit=DELAY + 10)) == 1
    report(
        "stopped by a signal",
        "role stopped by SIGTERM during a write",
        "its output named the secrets file before the module ran; the secrets of the keys created are there",
    )
