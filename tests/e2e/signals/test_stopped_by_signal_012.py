# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API 0.12: a fleet run stopped by SIGINT keeps, in secrets_file, the login pair of each key it created."""

from __future__ import annotations

import json
import signal
import time

from harness import faulted_requests, report, wait_for

MODULE = "fiskaly.management.fiskaly_api_key"
DELAY = 3.0  # long enough to stop the run while the third POST waits


def test_a_012_fleet_stopped_by_sigint_writes_the_secrets_of_the_keys_it_created(ansible_012, emulator_012, tmp_path):
    emulator = emulator_012
    names = ["stop-a", "stop-b", "stop-c", "stop-d"]
    secrets_file = tmp_path / "secrets.json"
    path = f"/organizations/{emulator.organization_id}/api-keys"
    emulator.inject("POST", path, [{"delay": 0.001}, {"delay": 0.001}, {"delay": DELAY}])
    args = {
        "api_keys": [{"name": name} for name in names],
        "secrets_file": str(secrets_file),
        "max_concurrent_requests": 1,
    }

    spawned = ansible_012.spawn([{"name": "fleet", MODULE: args}], verbosity=1)
    wait_for(lambda: len([entry for entry in emulator.requests("POST") if entry["path"] == path]) == 2)
    time.sleep(0.5)  # the third POST is on its way, waiting for its delayed answer
    spawned.signal_group(signal.SIGINT)
    run = spawned.wait()

    assert run.rc != 0
    wait_for(lambda: secrets_file.stat().st_size > 0, limit=DELAY + 10)
    minted = {secret.owner: secret.value for secret in emulator.minted_secrets() if secret.kind == "key_secret"}
    keys = {key["name"]: key for key in emulator.keys().values()}
    assert sorted(keys) == ["stop-a", "stop-b", "stop-c"]  # the POST in flight finished, nothing after it
    assert json.loads(secrets_file.read_text()) == {
        name: {"api_key": keys[name]["key"], "api_secret": minted[name]} for name in keys
    }
    assert len(faulted_requests(emulator, 3, limit=DELAY + 10)) == 3  # the delayed POST is over before the next test
    report("0.12 stopped by a signal", "fleet stopped by SIGINT during a POST", "secrets of all keys created written")
