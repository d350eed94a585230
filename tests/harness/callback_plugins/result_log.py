# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: appends every host event that a callback receives (task results, loop items,
retries, diffs), as Ansible hands them over (no_log already applied), to the JSON-lines file named by
FISKALY_RESULT_LOG. This is what AWX stores as job events, so the secret scan reads it too."""

from __future__ import annotations

import json

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: result_log
type: aggregate
short_description: Record host events for the integration tests
description: Appends each task result, loop item, retry and diff as one JSON line to the file named by FISKALY_RESULT_LOG.
options:
  log:
    description: The JSON-lines file to append to (tools/integration.sh sets it in the integration.cfg it writes,
      since ansible-test passes no environment variable through).
    type: path
    required: true
    env:
      - name: FISKALY_RESULT_LOG
    ini:
      - section: callback_result_log
        key: log
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_log"
    # Loaded by being in callback_plugins (the harness and tools/integration.sh put it there): ansible-test
    # sets ANSIBLE_CALLBACKS_ENABLED itself, so a callbacks_enabled setting would not reach its playbooks.
    CALLBACK_NEEDS_ENABLED = False

    def _record(self, result, status: str, event: str = "result") -> None:
        entry = {"host": result._host.get_name(), "task": result._task.get_name(), "status": status, "event": event, "result": result._result}
        with open(self.get_option("log"), "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, cls=AnsibleJSONEncoder) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_item_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok", "item")

    def v2_runner_item_on_failed(self, result):
        self._record(result, "failed", "item")

    def v2_runner_item_on_skipped(self, result):
        self._record(result, "skipped", "item")

    def v2_runner_retry(self, result):
        self._record(result, "retry", "retry")

    def v2_on_file_diff(self, result):
        self._record(result, "diff", "diff")

    def v2_runner_on_async_poll(self, result):
        self._record(result, "async poll", "async")

    def v2_runner_on_async_ok(self, result):
        self._record(result, "ok", "async")

    def v2_runner_on_async_failed(self, result):
        self._record(result, "failed", "async")
