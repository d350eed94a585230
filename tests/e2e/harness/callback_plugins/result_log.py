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
    description: The JSON-lines file to append to (the harness sets it for each run it starts; an ini file can
      set it where no environment variable is passed through, as with ansible-test).
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
    # Loaded by being in callback_plugins (the harness puts it there): ansible-test
    # sets ANSIBLE_CALLBACKS_ENABLED itself, so a callbacks_enabled setting would not reach its playbooks.
    CALLBACK_NEEDS_ENABLED = False

    def _record(self, result, status: str | None, event: str = "result") -> None:
        """Append one host event; a status of None is "changed" or "ok", as the result says."""
        status = status or ("changed" if result._result.get("changed") else "ok")
        entry = {
            "host": result._host.get_name(),
            "task": result._task.get_name(),
            "status": status,
            "event": event,
            "result": result._result,
        }
        with open(self.get_option("log"), "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, cls=AnsibleJSONEncoder) + "\n")

    def _recorder(status: str | None, event: str = "result"):  # pylint: disable=no-self-argument  # builds the methods below
        def record(self, result, *_args, **_kwargs):  # v2_runner_on_failed also gets ignore_errors
            self._record(result, status, event)

        return record

    v2_runner_on_ok = _recorder(None)
    v2_runner_on_failed = _recorder("failed")
    v2_runner_on_skipped = _recorder("skipped")
    v2_runner_on_unreachable = _recorder("unreachable")
    v2_runner_item_on_ok = _recorder(None, "item")
    v2_runner_item_on_failed = _recorder("failed", "item")
    v2_runner_item_on_skipped = _recorder("skipped", "item")
    v2_runner_retry = _recorder("retry", "retry")
    v2_on_file_diff = _recorder("diff", "diff")
    v2_runner_on_async_poll = _recorder("async poll", "async")
    v2_runner_on_async_ok = _recorder("ok", "async")
    v2_runner_on_async_failed = _recorder("failed", "async")
    del _recorder
