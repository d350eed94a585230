# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API 0.12: a fleet created with ten requests in flight, at a distance (latency): each key created once, each secret
delivered to secrets_file with the key that logs in with it, and a second run writes nothing."""

from __future__ import annotations

import json

from harness import report

MODULE = "fiskaly.management.fiskaly_api_key"
COUNT = 30


def test_a_fleet_on_012_creates_each_key_once_and_delivers_every_secret(ansible_012, emulator_012, tmp_path):
    emulator = emulator_012
    emulator.set_network(latency=0.05)
    names = [f"fleet-012-{index:02d}" for index in range(COUNT)]
    secrets_file = tmp_path / "secrets.json"
    args = {
        "api_keys": [{"name": name} for name in names],
        "secrets_file": str(secrets_file),
        "max_concurrent_requests": 10,
    }

    run = ansible_012.playbook([{"name": "fleet", MODULE: args}], verbosity=1)

    assert run.status("fleet") == "changed", run.output[-2000:]
    keys = emulator.keys().values()
    assert sorted(key["name"] for key in keys) == names  # each once
    posts = [entry for entry in emulator.requests() if entry["method"] == "POST" and entry["path"] != "/auth"]
    assert len(posts) == COUNT
    by_name = {key["name"]: key for key in keys}
    minted = {secret.owner: secret.value for secret in emulator.minted_secrets() if secret.kind == "key_secret"}
    secrets = json.loads(secrets_file.read_text())
    assert secrets == {name: {"api_key": by_name[name]["key"], "api_secret": minted[name]} for name in names}

    before = len(emulator.requests())
    again = ansible_012.playbook([{"name": "fleet", MODULE: {**args, "secrets_file": str(tmp_path / "again.json")}}])
    assert again.status("fleet") == "ok"
    assert [
        entry
        for entry in emulator.requests()[before:]
        if entry["method"] in ("POST", "PATCH", "DELETE") and entry["path"] != "/auth"
    ] == []
    report(
        "0.12 fleet",
        f"{COUNT} creates, 10 in flight, latency 0.05 s",
        "each key once, every secret in secrets_file; rerun writes nothing",
    )
