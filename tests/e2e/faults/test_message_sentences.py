# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A failure message that goes on after a failure's own sentence ends that sentence once: a fleet whose create
answer was lost, with a secrets_file, used to read "... give it no client.. The secrets of the keys created before"."""

from __future__ import annotations

import re

MODULE = "fiskaly.management.fiskaly_api_key"
ONE_AT_A_TIME = {"retries": 3, "retry_deadline": 20, "timeout": 1, "max_concurrent_requests": 1}
# Two full stops in a row that are not part of an ellipsis, or more than three.
DOUBLED = re.compile(r"(?<!\.)\.\.(?!\.)|\.{4,}")


def test_the_lost_secret_and_the_kept_secrets_read_as_two_sentences(ansible, emulator, tmp_path):
    emulator.inject("PUT", "/api_keys/sentence-b", [{"lose_response": True}])
    secrets_file = tmp_path / "secrets.json"
    args = {
        "kind": "test",
        "api_keys": [{"name": "sentence-a"}, {"name": "sentence-b"}],
        "secrets_file": str(secrets_file),
    }

    run = ansible.playbook([{"name": "fleet", MODULE: args}], module_defaults=ONE_AT_A_TIME)

    message = run.task("fleet")["msg"]
    assert run.status("fleet") == "failed"
    assert "give it no client. The secrets of the keys created before" in message, message
    assert not DOUBLED.search(message), message
